// The HTTP/2 connection (RFC 9113) as a gRPC peer meets it, over in-memory pairs: settings,
// PING, flow control both ways, stream limits, GOAWAY, resets, and the protocol errors that end
// a connection. Frames are also fed one byte at a time: reads may split them anywhere.
import { describe, expect, test } from "bun:test";
import { H2Connection } from "../../src/h2/connection.ts";
import {
  CLIENT_PREFACE,
  ErrorCode,
  frame,
  goawayFrame,
  settingsFrame,
  T,
  windowUpdateFrame,
} from "../../src/h2/frames.ts";
import { encodeHeaders, type HeaderList } from "../../src/h2/hpack.ts";
import type { H2Stream } from "../../src/h2/stream.ts";
import { h2Pair, settle, SMALL } from "../support/h2-pair.ts";

const REQUEST: [string, string][] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/x"],
  [":authority", "/run/criproxy.sock"],
  ["content-type", "application/grpc"],
];
const OK: [string, string][] = [[":status", "200"]];

/** A server connection fed by hand: what it writes, and how it ended. */
function rawServer(onStream?: (s: H2Stream, h: HeaderList) => void) {
  const out: Buffer[] = [];
  let ended = false;
  let closed: string | undefined = "open";
  const conn = new H2Connection(
    { write: (b) => (out.push(Buffer.from(b)), b.length), end: () => void (ended = true) },
    { ...SMALL, server: true, onStream, onClose: (r) => (closed = r) },
  );
  const frames = async () => {
    await settle();
    const all = Buffer.concat(out);
    const list: { type: number; flags: number; id: number; payload: Buffer }[] = [];
    for (let at = 0; at + 9 <= all.length; ) {
      const len = all.readUIntBE(at, 3);
      list.push({
        type: all[at + 3],
        flags: all[at + 4],
        id: all.readUInt32BE(at + 5),
        payload: all.subarray(at + 9, at + 9 + len),
      });
      at += 9 + len;
    }
    return list;
  };
  return { conn, frames, ended: () => ended, closed: () => closed };
}

const hello = Buffer.concat([CLIENT_PREFACE, settingsFrame([])]);

describe("the connection's own frames", () => {
  test("SETTINGS are sent first and acknowledged; PING is answered with the same payload", async () => {
    const s = rawServer();
    s.conn.receive(Buffer.concat([hello, frame(T.PING, 0, 0, Buffer.from("12345678"))]));
    const f = await s.frames();
    expect(f[0].type).toBe(T.SETTINGS);
    expect(f.some((x) => x.type === T.SETTINGS && x.flags === 1)).toBe(true);
    expect(f.find((x) => x.type === T.PING)?.payload.toString()).toBe("12345678");
  });

  test("every frame split at every byte arrives the same", async () => {
    const seen: string[] = [];
    const s = rawServer((stream, h) => {
      seen.push(Object.fromEntries(h)[":path"]);
      stream.onData = (c) => void seen.push(c.toString());
    });
    const bytes = Buffer.concat([
      hello,
      frame(T.HEADERS, 4, 1, encodeHeaders(REQUEST)),
      frame(T.DATA, 1, 1, Buffer.from("body")),
    ]);
    for (const b of bytes) s.conn.receive(Buffer.from([b]));
    expect(seen).toEqual(["/x", "body"]);
  });
});

describe("protocol errors end the connection with GOAWAY and a code", () => {
  test.each([
    { desc: "not an HTTP/2 preface", bytes: Buffer.from("GET / HTTP/1.1\r\n\r\n"), code: ErrorCode.PROTOCOL_ERROR },
    {
      desc: "a frame over 16384 bytes",
      bytes: Buffer.concat([hello, Buffer.from([0, 0x40, 1, 0, 0, 0, 0, 0, 1])]),
      code: ErrorCode.FRAME_SIZE_ERROR,
    },
    {
      desc: "a header block interrupted by another frame",
      bytes: Buffer.concat([hello, frame(T.HEADERS, 0, 1, Buffer.from([0x82])), frame(T.PING, 0, 0, Buffer.alloc(8))]),
      code: ErrorCode.PROTOCOL_ERROR,
    },
    {
      desc: "a header block that does not decode",
      bytes: Buffer.concat([hello, frame(T.HEADERS, 4, 1, Buffer.from([0xff, 0x7f]))]),
      code: ErrorCode.COMPRESSION_ERROR,
    },
    {
      desc: "an even stream opened by the client",
      bytes: Buffer.concat([hello, frame(T.HEADERS, 4, 2, encodeHeaders(REQUEST))]),
      code: ErrorCode.PROTOCOL_ERROR,
    },
    {
      desc: "a connection window overflow",
      bytes: Buffer.concat([hello, windowUpdateFrame(0, 2 ** 31 - 1)]),
      code: ErrorCode.FLOW_CONTROL_ERROR,
    },
    {
      desc: "a header block growing past 256 KiB in CONTINUATION frames",
      bytes: Buffer.concat([
        hello,
        frame(T.HEADERS, 0, 1, Buffer.alloc(16000)),
        ...Array.from({ length: 17 }, () => frame(T.CONTINUATION, 0, 1, Buffer.alloc(16000))),
      ]),
      code: ErrorCode.ENHANCE_YOUR_CALM,
    },
  ])("$desc", async ({ bytes, code }) => {
    const s = rawServer();
    s.conn.receive(bytes);
    const goaway = (await s.frames()).find((f) => f.type === T.GOAWAY);
    expect(goaway?.payload.readUInt32BE(4)).toBe(code);
    expect(s.closed()).not.toBe("open");
  });
});

describe("streams", () => {
  test("more streams than allowed are refused, unseen (REFUSED_STREAM), and logged by the server", async () => {
    const refused: string[] = [];
    const { client } = h2Pair({ maxConcurrentStreams: 2, onStream: () => {}, onRefused: (r) => void refused.push(r) });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) client.request(REQUEST).onClose = (code) => void codes.push(code);
    await settle();
    expect(codes).toEqual([ErrorCode.REFUSED_STREAM]);
    expect(refused[0]).toContain("REFUSED_STREAM");
  });

  test("request headers over the bound get a gRPC status, not a bare reset", async () => {
    const { client } = h2Pair({ maxHeaderListSize: 200, onStream: () => {} });
    const s = client.request([...REQUEST, ["x-big", "y".repeat(300)]], true);
    let status: string | undefined;
    s.onHeaders = (h) => (status = Object.fromEntries(h)["grpc-status"]);
    await settle();
    expect(status).toBe("8");
  });

  test("flow control: a writer waits for the peer's window, and goes on when it is returned", async () => {
    let server!: H2Stream;
    const { client } = h2Pair({ onStream: (s) => ((server = s), s.pause()) });
    const s = client.request(REQUEST);
    let done = false;
    const written = s.write(Buffer.alloc(100_000)).then(() => (done = true));
    await settle();
    expect(done).toBe(false); // the 65535-byte window is spent
    let got = 0;
    server.onData = (c) => void (got += c.length);
    server.resume();
    await written;
    await settle();
    expect(got).toBeGreaterThan(0);
    expect(done).toBe(true);
  });

  test("GOAWAY from the server: streams it never took are refused (safe to retry); new requests fail", async () => {
    const pair = h2Pair({ onStream: (s) => (s.onEnd = () => (s.sendHeaders(OK), s.end([["grpc-status", "0"]]))) });
    const first = pair.client.request(REQUEST, true);
    const firstClosed = new Promise((r) => (first.onClose = (code, cause) => r([code, cause])));
    await settle();
    pair.server.output.push(goawayFrame(1, ErrorCode.NO_ERROR));
    await settle();
    expect(await firstClosed).toEqual([0, "done"]);
    expect(pair.client.goawayReceived).toBe(true);
    expect(() => pair.client.request(REQUEST)).toThrow("closing");
  });

  test("a lost connection closes every stream as connection-lost", async () => {
    const pair = h2Pair({ onStream: () => {} });
    const s = pair.client.request(REQUEST);
    const closed = new Promise((r) => (s.onClose = (_code, cause) => r(cause)));
    await settle();
    pair.cut();
    expect(await closed).toBe("connection-lost");
  });
});
