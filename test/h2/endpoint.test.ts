// How a listener's connection hangs up on a real Unix socket. A peer that erred learns why: its
// GOAWAY is read before the socket closes, even when the peer goes on writing (as a relay does,
// h2spec through socat); closing on unread bytes would reset the connection and lose the GOAWAY.
// A flooder's socket is closed at once.
import { afterEach, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { listenH2 } from "../../src/h2/endpoint.ts";
import {
  CLIENT_PREFACE,
  ErrorCode,
  F,
  frame,
  MAX_WINDOW,
  settingsFrame,
  T,
  windowUpdateFrame,
} from "../../src/h2/frames.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { waitFor } from "../support/wait.ts";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function listen(): string {
  const path = tempSocket("ep");
  const listener = listenH2(path, {
    maxConcurrentStreams: 100,
    streamWindow: 65535,
    connectionWindow: 65535,
    maxHeaderListSize: 65536,
    accept: () => ({ onStream: () => {} }),
  });
  cleanup.push(() => listener.stop());
  return path;
}

/** A raw peer: what it read, whether it saw EOF, the errors its writes got, and when it closed. */
function peer(path: string) {
  const socket: Socket = connect({ path, allowHalfOpen: true });
  cleanup.push(() => socket.destroy());
  const seen = { bytes: Buffer.alloc(0), eof: false, closed: false, errors: [] as string[] };
  socket.on("data", (d: Buffer) => (seen.bytes = Buffer.concat([seen.bytes, d])));
  socket.on("end", () => (seen.eof = true));
  socket.on("close", () => (seen.closed = true));
  socket.on("error", (e) => seen.errors.push(e.message));
  return { socket, seen };
}

/** The GOAWAY codes among the frames read. */
function goawayCodes(bytes: Buffer): number[] {
  const codes: number[] = [];
  for (let at = 0; at + 9 <= bytes.length; ) {
    const length = bytes.readUIntBE(at, 3);
    if (bytes[at + 3] === T.GOAWAY) codes.push(bytes.readUInt32BE(at + 9 + 4));
    at += 9 + length;
  }
  return codes;
}

const write = (s: Socket, b: Uint8Array) =>
  new Promise<string | undefined>((resolve) => s.write(b, (e) => resolve(e?.message)));

test("a protocol error: GOAWAY with its code, then EOF; the peer's later writes are still taken, and the socket closes", async () => {
  const { socket, seen } = peer(listen());
  // The window overflows on the first WINDOW_UPDATE (h2spec 6.9.1/2); the peer writes on after the GOAWAY, without reading.
  expect(
    await write(socket, Buffer.concat([CLIENT_PREFACE, settingsFrame([]), windowUpdateFrame(0, MAX_WINDOW)])),
  ).toBeUndefined();
  await waitFor(() => goawayCodes(seen.bytes).length > 0, 5000, "the GOAWAY");
  const more = Buffer.concat(Array.from({ length: 64 }, () => windowUpdateFrame(0, MAX_WINDOW)));
  const results: (string | undefined)[] = [];
  for (let i = 0; i < 16; i++) results.push(await write(socket, more));
  expect(results).toEqual(Array(16).fill(undefined));
  await waitFor(() => seen.eof, 5000, "EOF after the GOAWAY");
  expect(goawayCodes(seen.bytes)).toEqual([ErrorCode.FLOW_CONTROL_ERROR]);
  socket.end();
  await waitFor(() => seen.closed, 5000, "the socket closed");
  expect(seen.errors).toEqual([]);
});

test("a peer that never hangs up is closed after a while all the same", async () => {
  const { socket, seen } = peer(listen());
  await write(socket, Buffer.concat([CLIENT_PREFACE, settingsFrame([]), frame(T.PING, 0, 0, Buffer.alloc(7))]));
  await waitFor(() => seen.eof, 5000, "EOF after the GOAWAY");
  expect(goawayCodes(seen.bytes)).toEqual([ErrorCode.FRAME_SIZE_ERROR]);
  // Lingering, the server still reads; once it has closed, a write fails (EPIPE).
  const ping = frame(T.PING, 0, 0, Buffer.alloc(8));
  await waitFor(async () => (await write(socket, ping)) !== undefined, 5000, "the socket closed by the server");
});

test("a flood: GOAWAY ENHANCE_YOUR_CALM and the socket closed at once, without lingering", async () => {
  const { socket, seen } = peer(listen());
  // Stream 1 opened (POST, http, / from HPACK's static table), then empty DATA frames on it.
  const open = frame(T.HEADERS, F.END_HEADERS, 1, Buffer.from([0x83, 0x86, 0x84]));
  const empties = Buffer.concat(Array.from({ length: 2000 }, () => frame(T.DATA, 0, 1)));
  await write(socket, Buffer.concat([CLIENT_PREFACE, settingsFrame([]), open, empties]));
  await waitFor(() => seen.eof, 5000, "the flooder cut off");
  expect(goawayCodes(seen.bytes)).toEqual([ErrorCode.ENHANCE_YOUR_CALM]);
  // Not lingering: the socket closed with the EOF, so the next write fails (a lingering socket would take it).
  expect(await write(socket, empties)).toBeDefined();
});
