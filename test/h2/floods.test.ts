// What a connection does with a peer that floods it (RFC 9113 §10.5, the CVEs named in
// src/h2/calm-budget.ts), over a hand-fed server connection: each flood ends in GOAWAY
// ENHANCE_YOUR_CALM within its budget, and what it makes us queue stays bounded. A peer
// that behaves (a few resets, PINGs answered after our data) is never cut off.
import { describe, expect, test } from "bun:test";
import { CALM_BURST } from "../../src/h2/calm-budget.ts";
import { H2Connection } from "../../src/h2/connection.ts";
import { CLIENT_PREFACE, ErrorCode, frame, rstStreamFrame, settingsFrame, T } from "../../src/h2/frames.ts";
import { encodeHeaders } from "../../src/h2/hpack.ts";
import { SMALL } from "../support/h2-pair.ts";

const REQUEST: [string, string][] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/x"],
  ["content-type", "application/grpc"],
];
const hello = Buffer.concat([CLIENT_PREFACE, settingsFrame([])]);

/** A server connection fed by hand, whose peer reads nothing unless `reads`. */
function server(reads = true) {
  let queued = 0;
  const calm: string[] = [];
  const written: Buffer[] = [];
  let closed: string | undefined = "open";
  const conn = new H2Connection(
    { write: (b) => (reads ? (written.push(Buffer.from(b)), b.length) : 0), end: () => {} },
    { ...SMALL, server: true, onStream: () => {}, onCalm: (r) => void calm.push(r), onClose: (r) => (closed = r) },
  );
  conn.receive(hello);
  return {
    conn,
    calm,
    closed: () => closed,
    goawayCode: () => {
      const all = Buffer.concat(written);
      for (let at = 0; at + 9 <= all.length; at += 9 + all.readUIntBE(at, 3))
        if (all[at + 3] === T.GOAWAY) return all.readUInt32BE(at + 13);
      return undefined;
    },
    queued: () => (queued = Math.max(queued, conn.output.queuedBytes)),
  };
}

const headers = (id: number, end = true) => frame(T.HEADERS, 0x4 | (end ? 1 : 0), id, encodeHeaders(REQUEST));

describe("floods end in GOAWAY ENHANCE_YOUR_CALM, logged once", () => {
  test.each([
    {
      flood: "rapid reset (HEADERS then RST_STREAM)",
      unit: (i: number) => Buffer.concat([headers(2 * i + 1), rstStreamFrame(2 * i + 1, ErrorCode.CANCEL)]),
      reason: "stream resets",
    },
    {
      flood: "empty DATA frames",
      unit: (i: number) => (i === 0 ? Buffer.concat([headers(1, false), frame(T.DATA, 0, 1)]) : frame(T.DATA, 0, 1)),
      reason: "empty DATA",
    },
    {
      flood: "PRIORITY churn",
      unit: (i: number) => frame(T.PRIORITY, 0, 2 * i + 1, Buffer.from([0, 0, 0, 0, 16])),
      reason: "PRIORITY",
    },
    { flood: "SETTINGS", unit: () => settingsFrame([]), reason: "SETTINGS" },
    { flood: "PING", unit: () => frame(T.PING, 0, 0, Buffer.alloc(8)), reason: "PING" },
    {
      flood: "empty HEADERS (malformed requests)",
      unit: (i: number) => frame(T.HEADERS, 0x5, 2 * i + 1),
      reason: "stream errors",
    },
    {
      flood: "DATA on streams the client ended (each earns a reset)",
      unit: (i: number) => Buffer.concat([headers(2 * i + 1), frame(T.DATA, 0, 2 * i + 1, Buffer.from("x"))]),
      reason: "stream errors",
    },
    { flood: "unknown frame types", unit: () => frame(0x42, 0, 0, Buffer.alloc(4)), reason: "unknown types" },
  ])("$flood", ({ unit, reason }) => {
    const s = server();
    for (let i = 0; i < CALM_BURST * 3 && s.closed() === "open"; i++) s.conn.receive(unit(i));
    expect(s.closed()).toContain("ENHANCE_YOUR_CALM");
    expect(s.closed()).toContain(reason);
    expect(s.calm).toHaveLength(1);
    expect(s.goawayCode()).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("empty CONTINUATION frames, never END_HEADERS: cut off by frame count, not bytes", () => {
    const s = server();
    s.conn.receive(frame(T.HEADERS, 0, 1, encodeHeaders(REQUEST)));
    for (let i = 0; i < 100 && s.closed() === "open"; i++) s.conn.receive(frame(T.CONTINUATION, 0, 1));
    expect(s.closed()).toContain("over 32 frames");
    expect(s.goawayCode()).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("a peer that never reads and keeps asking for replies (PING, SETTINGS) is cut off with the queue bounded", () => {
    const s = server(false);
    for (let i = 0; i < 100_000 && s.closed() === "open"; i++) {
      s.conn.receive(frame(T.PING, 0, 0, Buffer.alloc(8)));
      s.queued();
      s.conn.sentSincePing = true; // as if each PING answered data of ours: free, so only the queue bound acts
    }
    expect(s.closed()).toContain("does not read");
    expect(s.queued()).toBeLessThan(s.conn.output.highWater + 256 * 1024);
  });
});

describe("a peer that behaves is never cut off", () => {
  test("a hundred cancels, PINGs that follow our data, and its SETTINGS pass", () => {
    const s = server();
    for (let i = 0; i < CALM_BURST / 2; i++)
      s.conn.receive(Buffer.concat([headers(2 * i + 1, false), rstStreamFrame(2 * i + 1, ErrorCode.CANCEL)]));
    for (let i = 0; i < 5000; i++) {
      s.conn.sentSincePing = true;
      s.conn.receive(frame(T.PING, 0, 0, Buffer.alloc(8)));
    }
    s.conn.receive(settingsFrame([[4, 1 << 20]]));
    expect(s.closed()).toBe("open");
    expect(s.calm).toEqual([]);
  });
});
