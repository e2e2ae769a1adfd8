// Inputs that break HTTP/2 itself: mutated frame sequences, random frames, random bytes,
// floods (rapid reset, pings, settings), a reader that never opens its window, and peers that
// never read their socket while the server owes them frames. The server owes nothing for them
// but must survive them and release what they held.
import { encodeFrame, Flag, FrameType, grpcRequestHeaders, headerBlock, PREFACE, settingsFrame } from "./h2-frames.ts";
import { grpcCalls, KNOWN_PATHS, type FuzzInput } from "./grpc-inputs.ts";
import { mutateBytes, type Rng } from "./prng.ts";

const START = () => Buffer.concat([PREFACE, settingsFrame()]);
const wild = (kind: string, summary: string, bytes: Buffer): FuzzInput => ({
  kind,
  summary,
  bytes,
  owed: [],
  grpc: [],
});

/** A valid call sequence with its bytes mutated (the preface kept, mostly) or one frame header changed. */
export function mutatedFrames(rng: Rng): FuzzInput {
  const valid = grpcCalls(rng).bytes;
  const keep = rng.chance(0.9) ? PREFACE.length : 0;
  if (rng.chance(0.5))
    return wild(
      "mutated-bytes",
      `${valid.length} B of calls, bytes mutated`,
      Buffer.concat([valid.subarray(0, keep), mutateBytes(rng, valid.subarray(keep))]),
    );
  // Change one field of one frame header: length, type, flags or stream id.
  const bytes = Buffer.from(valid);
  const starts: number[] = [];
  for (let at = PREFACE.length; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) starts.push(at);
  const at = rng.pick(starts);
  const field = rng.pick(["length", "type", "flags", "stream"] as const);
  if (field === "length")
    bytes.writeUIntBE(rng.pick([0, 1, bytes.readUIntBE(at, 3) + 1, 0xffffff, rng.int(0x1000000)]), at, 3);
  if (field === "type") bytes[at + 3] = rng.int(16);
  if (field === "flags") bytes[at + 4] = rng.int(256);
  if (field === "stream") bytes.writeUInt32BE(rng.pick([0, 2, 0x7fffffff, 0x80000001, rng.u32()]) >>> 0, at + 5);
  return wild("mutated-frame", `frame at byte ${at}: ${field} changed`, bytes);
}

/** One random or nasty frame. */
function randomFrame(rng: Rng): Buffer {
  const stream = rng.pick([0, 1, 2, 3, 5, 0x7fffffff, rng.int(100)]);
  const nasty: (() => Buffer)[] = [
    () => encodeFrame(FrameType.WINDOW_UPDATE, 0, rng.pick([0, 1]), Buffer.from([0, 0, 0, 0])),
    () => encodeFrame(FrameType.WINDOW_UPDATE, 0, rng.pick([0, 1]), Buffer.from([0x7f, 0xff, 0xff, 0xff])),
    () =>
      settingsFrame([
        [rng.pick([1, 2, 3, 4, 5, 6, 8, 9, 0xff]), rng.pick([0, 1, 2, 16_383, 16_777_216, 0x7fffffff, 0xffffffff])],
      ]),
    () => settingsFrame([], true),
    () => encodeFrame(FrameType.PING, rng.pick([0, Flag.ACK]), 0, rng.bytes(rng.pick([8, 7, 9]))),
    () => encodeFrame(FrameType.PRIORITY, 0, stream, Buffer.from([0, 0, 0, stream & 0xff, 16])),
    () => encodeFrame(FrameType.RST_STREAM, 0, stream, Buffer.from([0, 0, 0, rng.int(14)])),
    () =>
      encodeFrame(
        FrameType.GOAWAY,
        0,
        0,
        Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, rng.int(14)]), rng.bytes(rng.int(16))]),
      ),
    () => encodeFrame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.from([0, 0, 0, 2])),
    () => encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, stream, headerBlock([["x", "y"]])),
    // PADDED with a pad length past the payload.
    () => encodeFrame(FrameType.HEADERS, Flag.PADDED | Flag.END_HEADERS, 1, Buffer.from([200, 0, 1, 2])),
    () =>
      encodeFrame(
        FrameType.HEADERS,
        Flag.END_HEADERS | Flag.END_STREAM,
        stream,
        headerBlock(grpcRequestHeaders(rng.pick(KNOWN_PATHS))),
      ),
    () => encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, stream, rng.bytes(rng.int(40))),
    () => encodeFrame(FrameType.DATA, rng.int(2), stream, rng.bytes(rng.int(64))),
  ];
  if (rng.chance(0.6)) return rng.pick(nasty)();
  return encodeFrame(rng.int(16), rng.int(256), stream, rng.bytes(rng.int(64)));
}

/** A preface and SETTINGS, then 1-10 random or nasty frames. */
export function randomFrames(rng: Rng): FuzzInput {
  const n = 1 + rng.int(10);
  return wild(
    "random-frames",
    `${n} frames`,
    Buffer.concat([START(), ...Array.from({ length: n }, () => randomFrame(rng))]),
  );
}

/** Random bytes, after the preface or instead of it. */
export function randomBytes(rng: Rng): FuzzInput {
  const body = rng.bytes(rng.int(300));
  return rng.chance(0.5)
    ? wild("random-bytes", `${body.length} B after the preface`, Buffer.concat([PREFACE, body]))
    : wild("random-bytes", `${body.length} B, no preface`, body);
}

/** Many frames at once: streams opened and reset at once (rapid reset), pings, settings, empty DATA. */
export function flood(rng: Rng): FuzzInput {
  const n = 50 + rng.int(200);
  const what = rng.pick(["rapid-reset", "pings", "settings", "empty-data", "headers-only"] as const);
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const stream = 1 + 2 * i;
    const path = rng.pick(KNOWN_PATHS);
    if (what === "rapid-reset" || what === "headers-only") {
      const body = Buffer.from([0, 0, 0, 0, 0]);
      frames.push(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, stream, headerBlock(grpcRequestHeaders(path))));
      if (rng.chance(0.5)) frames.push(encodeFrame(FrameType.DATA, Flag.END_STREAM, stream, body));
      if (what === "rapid-reset") frames.push(encodeFrame(FrameType.RST_STREAM, 0, stream, Buffer.from([0, 0, 0, 8])));
    }
    if (what === "pings") frames.push(encodeFrame(FrameType.PING, 0, 0, rng.bytes(8)));
    if (what === "settings") frames.push(settingsFrame([[4, rng.int(1 << 20)]]));
    if (what === "empty-data") frames.push(encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(0)));
  }
  if (what === "empty-data")
    frames.unshift(
      encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, headerBlock(grpcRequestHeaders(rng.pick(KNOWN_PATHS)))),
    );
  return wild("flood", `${n} × ${what}`, Buffer.concat([START(), ...frames]));
}

/** A client whose stream windows are 0: answers cannot flow; it then goes away. */
export function stuckReader(rng: Rng): FuzzInput {
  const path = rng.pick([
    "/runtime.v1.RuntimeService/ListContainers",
    "/runtime.v1.RuntimeService/ListPodSandbox",
    "/runtime.v1.ImageService/ListImages",
    "/runtime.v1.RuntimeService/Version",
  ]);
  const frames = [
    Buffer.concat([PREFACE, settingsFrame([[4, 0]])]),
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, headerBlock(grpcRequestHeaders(path))),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from([0, 0, 0, 0, 0])),
  ];
  return wild("stuck-reader", path, Buffer.concat(frames));
}

/**
 * A peer that never reads a byte (exchange.ts pauses its socket) while making the server owe it
 * frames: PING and SETTINGS floods (each owes an ACK; past the calm budget of 200 the rest is never read), DATA on a closed stream (each owed a
 * RST_STREAM once), or calls whose answers it never takes. What the server queues for it must
 * stay bounded and be let go when it is cut off or leaves.
 */
export function neverReads(rng: Rng): FuzzInput {
  const what = rng.pick(["pings", "settings", "data-on-closed", "calls"] as const);
  const n = what === "calls" ? 10 + rng.int(40) : 500 + rng.int(4500);
  const frames: Buffer[] = [];
  const call = (stream: number) => [
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, stream, headerBlock(grpcRequestHeaders(rng.pick(KNOWN_PATHS)))),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, stream, Buffer.from([0, 0, 0, 0, 0])),
  ];
  if (what === "data-on-closed") frames.push(...call(1));
  for (let i = 0; i < n; i++) {
    if (what === "pings") frames.push(encodeFrame(FrameType.PING, 0, 0, rng.bytes(8)));
    if (what === "settings") frames.push(settingsFrame());
    if (what === "data-on-closed") frames.push(encodeFrame(FrameType.DATA, 0, 1, Buffer.from("x")));
    if (what === "calls") frames.push(...call(1 + 2 * i));
  }
  return wild("never-reads", `${n} × ${what}`, Buffer.concat([START(), ...frames]));
}
