// Raw HTTP/2 frames, written and read by hand so the fuzzer can send what no client library
// would. HPACK is only written, as literals (never indexed), so no table state is needed.

// The RFC's numbers, as the code under test names them; the encoder below stays our own, to write malformed frames.
import { CLIENT_PREFACE, DEFAULT_MAX_FRAME, F, T } from "../../src/h2/frames.ts";

export { CLIENT_PREFACE as PREFACE, DEFAULT_MAX_FRAME as MAX_FRAME, F as Flag, T as FrameType };
const FrameType = T;
const Flag = F;

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** One frame on the wire: 9-byte header, then the payload. */
export function encodeFrame(
  type: number,
  flags: number,
  stream: number,
  payload: Uint8Array = new Uint8Array(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length & 0xffffff, 0, 3);
  head[3] = type & 0xff;
  head[4] = flags & 0xff;
  head.writeUInt32BE(stream >>> 0, 5);
  return Buffer.concat([head, payload]);
}

/** A SETTINGS frame with the given (id, value) pairs; ACK when `ack`. */
export function settingsFrame(pairs: readonly [number, number][] = [], ack = false): Buffer {
  const payload = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    payload.writeUInt16BE(id & 0xffff, i * 6);
    payload.writeUInt32BE(value >>> 0, i * 6 + 2);
  });
  return encodeFrame(FrameType.SETTINGS, ack ? Flag.ACK : 0, 0, payload);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); `first` holds the bits above the prefix. */
function hpackInt(value: number, prefixBits: number, first: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function hpackString(s: Uint8Array): number[] {
  return [...hpackInt(s.length, 7, 0), ...s];
}

/** A header block of literal fields without indexing, new names (RFC 7541 §6.2.2). */
export function headerBlock(headers: readonly [string, string | Uint8Array][]): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    out.push(
      0x00,
      ...hpackString(Buffer.from(name)),
      ...hpackString(typeof value === "string" ? Buffer.from(value) : value),
    );
  }
  return Buffer.from(out);
}

/** The gRPC request headers, in the order grpc-go sends them, plus extras. */
export function grpcRequestHeaders(path: string, extra: readonly [string, string][] = []): [string, string][] {
  return [
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ["user-agent", "criproxy-fuzz"],
    ...extra,
  ];
}

/** Splits incoming bytes into frames; the connection preface is the client's, so none is expected here. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes and returns every frame they complete. */
  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    while (this.buffer.length >= 9) {
      const length = this.buffer.readUIntBE(0, 3);
      if (this.buffer.length < 9 + length) break;
      frames.push({
        type: this.buffer[3],
        flags: this.buffer[4],
        stream: this.buffer.readUInt32BE(5) & 0x7fffffff,
        payload: this.buffer.subarray(9, 9 + length),
      });
      this.buffer = this.buffer.subarray(9 + length);
    }
    return frames;
  }
}
