// The stream state machine and request checks as a peer meets them (RFC 9113 §5.1, §6, §8):
// each illegal frame gets the error the RFC names, a stream error (RST_STREAM) or a connection
// error (GOAWAY); legal ones pass. Then what the client side tells its user (for the runtime side).
import { describe, expect, test } from "bun:test";
import { H2Connection } from "../../src/h2/connection.ts";
import {
  CLIENT_PREFACE,
  ErrorCode,
  frame,
  goawayFrame,
  rstStreamFrame,
  settingsFrame,
  T,
  windowUpdateFrame,
} from "../../src/h2/frames.ts";
import { encodeHeaders, type HeaderList } from "../../src/h2/hpack.ts";
import { requestHeaderProblem } from "../../src/h2/request-headers.ts";
import { RECEIVE } from "../../src/h2/stream-states.ts";
import { h2Pair, settle, SMALL } from "../support/h2-pair.ts";

const REQUEST: [string, string][] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/x"],
  ["content-type", "application/grpc"],
];
const E = ErrorCode;
const hdrs = (id: number, flags = 0x5, list: HeaderList = REQUEST) => frame(T.HEADERS, flags, id, encodeHeaders(list));
const data = (id: number, flags = 0, body = "x") => frame(T.DATA, flags, id, Buffer.from(body));

/** Feeds frames to a server connection whose streams stay open (never answered); returns the first error it sent. */
function feed(...frames: Buffer[]): { rst?: [number, number]; goaway?: number; streams: number } {
  const out: Buffer[] = [];
  let streams = 0;
  const conn = new H2Connection(
    { write: (b) => (out.push(Buffer.from(b)), b.length), end: () => {} },
    { ...SMALL, server: true, onStream: () => void streams++ },
  );
  conn.receive(Buffer.concat([CLIENT_PREFACE, settingsFrame([]), ...frames]));
  conn.output.flush();
  const all = Buffer.concat(out);
  const seen: { rst?: [number, number]; goaway?: number; streams: number } = { streams };
  for (let at = 0; at + 9 <= all.length; at += 9 + all.readUIntBE(at, 3)) {
    if (all[at + 3] === T.RST_STREAM) seen.rst ??= [all.readUInt32BE(at + 5), all.readUInt32BE(at + 9)];
    if (all[at + 3] === T.GOAWAY) seen.goaway ??= all.readUInt32BE(at + 13);
  }
  return seen;
}

describe("illegal frames get the RFC 9113 error", () => {
  test.each([
    { what: "DATA on an idle stream", frames: [data(1)], goaway: E.PROTOCOL_ERROR },
    { what: "RST_STREAM on an idle stream", frames: [rstStreamFrame(1, E.CANCEL)], goaway: E.PROTOCOL_ERROR },
    { what: "WINDOW_UPDATE on an idle stream", frames: [windowUpdateFrame(1, 1)], goaway: E.PROTOCOL_ERROR },
    { what: "RST_STREAM on stream 0", frames: [rstStreamFrame(0, E.CANCEL)], goaway: E.PROTOCOL_ERROR },
    { what: "HEADERS after the client ended the stream", frames: [hdrs(1), hdrs(1)], rst: [1, E.STREAM_CLOSED] },
    { what: "DATA after the client ended the stream", frames: [hdrs(1), data(1)], rst: [1, E.STREAM_CLOSED] },
    {
      what: "HEADERS on a stream the client reset",
      frames: [hdrs(1, 4), rstStreamFrame(1, E.CANCEL), hdrs(1)],
      goaway: E.STREAM_CLOSED,
    },
    { what: "a stream id lower than one opened", frames: [hdrs(5), hdrs(3)], goaway: E.PROTOCOL_ERROR },
    { what: "PRIORITY on stream 0", frames: [frame(T.PRIORITY, 0, 0, Buffer.alloc(5))], goaway: E.PROTOCOL_ERROR },
    { what: "PRIORITY of 4 bytes", frames: [frame(T.PRIORITY, 0, 1, Buffer.alloc(4))], rst: [1, E.FRAME_SIZE_ERROR] },
    {
      what: "PRIORITY depending on itself",
      frames: [frame(T.PRIORITY, 0, 1, Buffer.from([0, 0, 0, 1, 0]))],
      rst: [1, E.PROTOCOL_ERROR],
    },
    {
      what: "HEADERS depending on itself",
      frames: [frame(T.HEADERS, 0x25, 1, Buffer.concat([Buffer.from([0, 0, 0, 1, 0]), encodeHeaders(REQUEST)]))],
      rst: [1, E.PROTOCOL_ERROR],
    },
    { what: "SETTINGS_ENABLE_PUSH 2", frames: [settingsFrame([[2, 2]])], goaway: E.PROTOCOL_ERROR },
    {
      what: "SETTINGS ACK with a payload",
      frames: [frame(T.SETTINGS, 1, 0, Buffer.alloc(6))],
      goaway: E.FRAME_SIZE_ERROR,
    },
    { what: "SETTINGS of 5 bytes", frames: [frame(T.SETTINGS, 0, 0, Buffer.alloc(5))], goaway: E.FRAME_SIZE_ERROR },
    { what: "PING of 7 bytes", frames: [frame(T.PING, 0, 0, Buffer.alloc(7))], goaway: E.FRAME_SIZE_ERROR },
    {
      what: "a second HEADERS without END_STREAM",
      frames: [hdrs(1, 4), hdrs(1, 4, [["x", "y"]])],
      rst: [1, E.PROTOCOL_ERROR],
    },
    {
      what: "trailers with a pseudo-header",
      frames: [hdrs(1, 4), hdrs(1, 5, [[":path", "/y"]])],
      rst: [1, E.PROTOCOL_ERROR],
    },
    {
      what: "a table size update after a field",
      frames: [frame(T.HEADERS, 5, 1, Buffer.concat([encodeHeaders(REQUEST), Buffer.from([0x20])]))],
      goaway: E.COMPRESSION_ERROR,
    },
    {
      what: "INITIAL_WINDOW_SIZE taking an open stream's window past 2^31-1",
      frames: [hdrs(1, 4), windowUpdateFrame(1, 2 ** 31 - 1 - 65535), settingsFrame([[4, 65536]])],
      goaway: E.FLOW_CONTROL_ERROR,
    },
    {
      what: "a body longer than its content-length",
      frames: [hdrs(1, 4, [...REQUEST, ["content-length", "1"]]), data(1, 1, "xy")],
      rst: [1, E.PROTOCOL_ERROR],
    },
    {
      what: "a body shorter than its content-length",
      frames: [hdrs(1, 4, [...REQUEST, ["content-length", "3"]]), data(1, 1, "xy")],
      rst: [1, E.PROTOCOL_ERROR],
    },
  ])("$what", ({ frames, goaway, rst }) => {
    const seen = feed(...frames);
    if (goaway !== undefined) expect(seen.goaway).toBe(goaway);
    else expect(seen.goaway).toBeUndefined();
    if (rst) expect(seen.rst).toEqual([...rst]);
  });

  test.each([
    { what: "PRIORITY on an idle stream", frames: [frame(T.PRIORITY, 0, 3, Buffer.from([0, 0, 0, 1, 0]))] },
    {
      what: "WINDOW_UPDATE and RST_STREAM on a stream the server reset",
      frames: [
        hdrs(1, 4, [...REQUEST, ["content-length", "1"]]),
        data(1, 0, "xy"),
        windowUpdateFrame(1, 5),
        data(1),
        rstStreamFrame(1, E.CANCEL),
      ],
    },
    { what: "trailers ending a request", frames: [hdrs(1, 4), data(1), hdrs(1, 5, [["x-t", "1"]])] },
  ])("legal: $what", ({ frames }) => {
    const seen = feed(...frames);
    expect(seen.goaway).toBeUndefined();
  });

  test("the table names an action for every frame in every state", () => {
    for (const row of Object.values(RECEIVE))
      expect(Object.keys(row).sort()).toEqual(["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "WINDOW_UPDATE"]);
  });
});

describe("request headers (RFC 9113 §8)", () => {
  test.each([
    [[...REQUEST, ["X-Upper", "1"]], "lowercase"],
    [[[":foo", "1"], ...REQUEST], ":foo"],
    [[[":status", "200"], ...REQUEST], ":status"],
    [[["a", "1"], ...REQUEST], "after a regular field"],
    [[...REQUEST, ["connection", "close"]], "connection-specific"],
    [[...REQUEST, ["te", "gzip"]], "te"],
    [REQUEST.map(([n, v]) => [n, n === ":path" ? "" : v]), "empty :path"],
    [REQUEST.filter(([n]) => n !== ":method"), "no :method"],
    [REQUEST.filter(([n]) => n !== ":scheme"), "no :scheme"],
    [REQUEST.filter(([n]) => n !== ":path"), "no :path"],
    [[[":method", "POST"], ...REQUEST], ":method twice"],
    [[...REQUEST, ["x", "a\nb"]], "value"],
  ] as [HeaderList, string][])("%j: %s", (headers, problem) => {
    expect(requestHeaderProblem(headers)).toContain(problem);
  });

  test("what grpc-go and kubelet send is fine", () => {
    const kubelet: HeaderList = [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", "/runtime.v1.RuntimeService/Version"],
      [":authority", "/var/run/criproxy.sock"],
      ["content-type", "application/grpc"],
      ["user-agent", "grpc-go/1.56.3"],
      ["te", "trailers"],
      ["grpc-timeout", "1999961u"],
    ];
    expect(requestHeaderProblem(kubelet)).toBeUndefined();
  });

  test("a malformed request is reset and reported, never served", () => {
    const seen = feed(hdrs(1, 5, [...REQUEST, ["Upper", "1"]]));
    expect(seen).toMatchObject({ rst: [1, E.PROTOCOL_ERROR], streams: 0 });
  });
});

describe("what the client side tells its user (the runtime side)", () => {
  test("the peer's MAX_CONCURRENT_STREAMS, and a slot freeing", async () => {
    let slots = 0;
    const pair = h2Pair(
      { maxConcurrentStreams: 1, onStream: (s) => (s.onEnd = () => s.sendHeaders([[":status", "200"]], true)) },
      { onStreamSlot: () => void slots++ },
    );
    expect(pair.client.peerMaxConcurrentStreams).toBe(Infinity);
    await settle();
    expect(pair.client.peerMaxConcurrentStreams).toBe(1);
    pair.client.request(REQUEST, true);
    await settle();
    expect(slots).toBe(1);
  });

  test("GOAWAY's code, last stream and debug text", async () => {
    const seen: unknown[] = [];
    const pair = h2Pair({ onStream: () => {} }, { onGoaway: (...a) => void seen.push(a) });
    await settle();
    pair.server.output.push(goawayFrame(0, E.ENHANCE_YOUR_CALM, "too_many_pings"));
    await settle();
    expect(seen).toEqual([[E.ENHANCE_YOUR_CALM, 0, "too_many_pings"]]);
    expect(pair.client.exhausted).toBe(true);
  });

  test("stream ids left, counting down as streams open", () => {
    const pair = h2Pair({ onStream: () => {} });
    expect(pair.client.streamIdsLeft).toBe(2 ** 30);
    pair.client.request(REQUEST);
    expect(pair.client.streamIdsLeft).toBe(2 ** 30 - 1);
    expect(pair.client.exhausted).toBe(false);
  });

  test("answers in flight on 150 calls the client cancelled cost no calm (kubelet cancelling is no flood)", async () => {
    let closed: string | undefined = "open";
    const pair = h2Pair({ maxConcurrentStreams: 1000, onStream: () => {} }, { onClose: (r) => (closed = r) });
    const calls = Array.from({ length: 150 }, () => pair.client.request(REQUEST, true)); // 450 late frames: over the burst of 200
    await settle();
    for (const call of calls) {
      call.reset();
      const answer = [
        hdrs(call.id, 0x4, [[":status", "200"]]),
        data(call.id),
        hdrs(call.id, 0x5, [["grpc-status", "0"]]),
      ];
      pair.server.output.push(Buffer.concat(answer)); // already on the wire when the reset arrives
    }
    await settle();
    expect(closed).toBe("open");
  });

  test("frames again and again on a stream the client reset still end the connection", async () => {
    let closed: string | undefined = "open";
    const pair = h2Pair({ onStream: () => {} }, { onClose: (r) => (closed = r) });
    const call = pair.client.request(REQUEST, true);
    await settle();
    call.reset();
    pair.server.output.push(
      Buffer.concat(Array.from({ length: 300 }, () => hdrs(call.id, 0x5, [["grpc-status", "0"]]))),
    );
    await settle();
    expect(closed).toContain("ENHANCE_YOUR_CALM");
  });

  test("a late answer on a stream the client reset is ignored, not an error", async () => {
    let closed: string | undefined = "open";
    const pair = h2Pair(
      {
        onStream: (s) =>
          (s.onEnd = () => setTimeout(() => (s.sendHeaders([[":status", "200"]]), s.end([["grpc-status", "0"]])), 5)),
      },
      { onClose: (r) => (closed = r) },
    );
    pair.client.request(REQUEST, true).reset();
    await Bun.sleep(20);
    expect(closed).toBe("open");
  });
});
