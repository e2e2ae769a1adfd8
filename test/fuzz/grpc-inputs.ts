// Well-formed HTTP/2 carrying odd gRPC: every method (and unknown paths), odd headers, odd
// envelopes, random and mutated protobuf bodies. The server must answer each stream with a
// status or a reset; nothing here is the client's fault at the HTTP/2 level.
import { toBinary, type DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";
import { methodTable } from "../../src/core/methods.ts";
import { arbitraryMessage } from "../core/arbitrary-message.ts";
import {
  encodeFrame,
  Flag,
  FrameType,
  grpcRequestHeaders,
  headerBlock,
  MAX_FRAME,
  PREFACE,
  settingsFrame,
} from "./h2-frames.ts";
import { mutateBytes, type Rng } from "./prng.ts";

/** One connection's worth of bytes, and what the server owes for it. */
export interface FuzzInput {
  readonly kind: string;
  /** What was generated, short enough to print (the seed reproduces the bytes). */
  readonly summary: string;
  /** Everything written on the connection, preface included. */
  readonly bytes: Buffer;
  /** Streams that must get a status (HEADERS with END_STREAM) or RST_STREAM or GOAWAY. */
  readonly owed: readonly number[];
  /** Streams that must end with a grpc status, not an HTTP body (requests that are gRPC). */
  readonly grpc: readonly number[];
}

/** Every known :path, and paths no method has: those go to the primary as bytes. */
export const KNOWN_PATHS: readonly string[] = [...methodTable.keys()];
const UNKNOWN_PATHS = [
  "/runtime.v1.RuntimeService/NoSuchMethod",
  "/runtime.v1alpha2.RuntimeService/Version",
  "/grpc.health.v1.Health/Check",
  "/",
  "/x/y/z",
  `/runtime.v1.ImageService/${"A".repeat(300)}`,
];
/** Open-ended event streams are left out of what must be answered: they end when the client goes. */
const OPEN_ENDED = new Set(["/runtime.v1.RuntimeService/GetContainerEvents"]);

/** A request body of `path`: a valid request (tricky strings), a mutated one, random bytes, or none. */
function requestMessage(rng: Rng, path: string): { bytes: Buffer; what: string } {
  const row = methodTable.get(path);
  const choice = rng.int(row ? 4 : 2);
  if (choice === 0) return { bytes: rng.bytes(rng.int(64)), what: "random" };
  if (choice === 1) return { bytes: Buffer.alloc(0), what: "empty" };
  const valid = validRequest(row!.method.input, rng.u32());
  return choice === 2 ? { bytes: valid, what: "valid" } : { bytes: mutateBytes(rng, valid), what: "mutated" };
}

function validRequest(schema: DescMessage, seed: number): Buffer {
  const [message] = fc.sample(arbitraryMessage(schema), { seed, numRuns: 1 });
  return Buffer.from(toBinary(schema, message));
}

/** The gRPC body around a message: right, or wrong in one way. */
function envelope(rng: Rng, message: Buffer): { body: Buffer; what: string } {
  const prefix = (flag: number, length: number) => {
    const h = Buffer.alloc(5);
    h[0] = flag;
    h.writeUInt32BE(length >>> 0, 1);
    return h;
  };
  const variants: [string, () => Buffer][] = [
    ["ok", () => Buffer.concat([prefix(0, message.length), message])],
    ["ok", () => Buffer.concat([prefix(0, message.length), message])],
    ["no-body", () => Buffer.alloc(0)],
    ["long", () => Buffer.concat([prefix(0, message.length + 1 + rng.int(100)), message])],
    ["short", () => Buffer.concat([prefix(0, Math.max(0, message.length - 1 - rng.int(8))), message])],
    ["compressed", () => Buffer.concat([prefix(1, message.length), message])],
    ["flag", () => Buffer.concat([prefix(2 + rng.int(254), message.length), message])],
    ["prefix-cut", () => prefix(0, message.length).subarray(0, 1 + rng.int(4))],
    ["over-16MiB", () => Buffer.concat([prefix(0, 16 * 1024 * 1024 + 1), message])],
    ["max-length", () => Buffer.concat([prefix(0, 0xffffffff), message])],
    ["two-messages", () => Buffer.concat([prefix(0, message.length), message, prefix(0, message.length), message])],
  ];
  const [what, make] = rng.pick(variants);
  return { body: make(), what };
}

/** Headers: gRPC's, or gRPC's with one oddity (some of which make it not gRPC at all). */
function requestHeaders(rng: Rng, path: string): { headers: [string, string][]; grpc: boolean; what: string } {
  const base = grpcRequestHeaders(path);
  const replace = (name: string, value: string | undefined) => {
    const h = base.filter(([n]) => n !== name);
    return value === undefined ? h : [...h, [name, value] as [string, string]];
  };
  switch (rng.int(12)) {
    case 0:
      return {
        headers: [
          ...base,
          [
            "grpc-timeout",
            rng.pick(["1S", "100m", "5000u", "1n", "0m", "99999999S", "abc", "-1S", "1X", "123456789H"]),
          ],
        ],
        grpc: true,
        what: "grpc-timeout",
      };
    case 1:
      return {
        headers: [...base, ["grpc-encoding", rng.pick(["gzip", "identity", "br", ""])]],
        grpc: true,
        what: "grpc-encoding",
      };
    case 2:
      return {
        headers: replace("content-type", rng.pick(["application/grpc+proto", "application/grpc;charset=x"])),
        grpc: true,
        what: "content-type variant",
      };
    case 3:
      return {
        headers: replace("content-type", rng.pick([undefined, "application/json", "text/plain", ""])),
        grpc: false,
        what: "not gRPC content-type",
      };
    case 4:
      return {
        headers: base.map(([n, v]) => (n === ":method" ? [n, rng.pick(["GET", "PUT", "HEAD"])] : [n, v])),
        grpc: false,
        what: "not POST",
      };
    case 5:
      return { headers: replace("te", undefined), grpc: true, what: "no te" };
    case 6:
      return {
        headers: replace(
          ":authority",
          rng.pick(["/run/criproxy.sock", "%2Frun%2Fcriproxy.sock", "", "a".repeat(2000)]),
        ),
        grpc: true,
        what: "authority",
      };
    case 7:
      return {
        headers: [
          ...base,
          ...Array.from(
            { length: 1 + rng.int(20) },
            (_, i) => [`x-fuzz-${i}`, "v".repeat(rng.int(400))] as [string, string],
          ),
        ],
        grpc: true,
        what: "metadata",
      };
    default:
      return { headers: base, grpc: true, what: "grpc" };
  }
}

/** Splits a body into DATA frames (some empty), the last one ending the stream. */
function dataFrames(rng: Rng, stream: number, body: Buffer): Buffer[] {
  if (body.length === 0) return [];
  const frames: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const size = Math.min(
      body.length - at,
      MAX_FRAME,
      rng.chance(0.5) ? body.length : 1 + rng.int(Math.max(1, body.length)),
    );
    if (rng.chance(0.1)) frames.push(encodeFrame(FrameType.DATA, 0, stream));
    at += size;
    frames.push(
      encodeFrame(FrameType.DATA, at >= body.length ? Flag.END_STREAM : 0, stream, body.subarray(at - size, at)),
    );
  }
  return frames;
}

/** A HEADERS frame, or HEADERS plus CONTINUATION frames for the same block. */
function headersFrames(rng: Rng, stream: number, block: Buffer, endStream: boolean): Buffer[] {
  const flags = endStream ? Flag.END_STREAM : 0;
  if (block.length < 2 || rng.chance(0.8))
    return [encodeFrame(FrameType.HEADERS, flags | Flag.END_HEADERS, stream, block)];
  const cut = 1 + rng.int(block.length - 1);
  return [
    encodeFrame(FrameType.HEADERS, flags, stream, block.subarray(0, cut)),
    encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, stream, block.subarray(cut)),
  ];
}

/** One connection with 1-4 well-formed gRPC calls (any method, any body), their frames interleaved. */
export function grpcCalls(rng: Rng): FuzzInput {
  const calls = 1 + (rng.chance(0.7) ? 0 : rng.int(4));
  const perStream: Buffer[][] = [];
  const owed: number[] = [];
  const grpc: number[] = [];
  const summary: string[] = [];
  for (let i = 0; i < calls; i++) {
    const stream = 1 + 2 * i;
    const path = rng.chance(0.9) ? rng.pick(KNOWN_PATHS) : rng.pick(UNKNOWN_PATHS);
    const { headers, grpc: isGrpc, what: headerWhat } = requestHeaders(rng, path);
    const message = requestMessage(rng, path);
    const { body, what } = envelope(rng, message.bytes);
    const data = dataFrames(rng, stream, body);
    perStream.push([...headersFrames(rng, stream, headerBlock(headers), data.length === 0), ...data]);
    if (!OPEN_ENDED.has(path)) owed.push(stream);
    if (isGrpc && !OPEN_ENDED.has(path)) grpc.push(stream);
    summary.push(
      `${stream}:${path} ${headerWhat}, ${message.what} message (${message.bytes.length} B), envelope ${what}`,
    );
  }
  // Interleave: HEADERS come in stream order (ids must rise), DATA frames mix.
  const frames: Buffer[] = perStream.flatMap((f) => f.filter((x) => x[3] !== FrameType.DATA));
  const data = perStream.map((f) => f.filter((x) => x[3] === FrameType.DATA));
  while (data.some((d) => d.length > 0)) {
    const open = data.filter((d) => d.length > 0);
    frames.push(rng.pick(open).shift()!);
  }
  return {
    kind: "grpc-calls",
    summary: summary.join("; "),
    bytes: Buffer.concat([PREFACE, settingsFrame(), ...frames]),
    owed,
    grpc,
  };
}
