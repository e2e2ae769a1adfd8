// An answer as the buffers to write, copying as little as possible: Bun's node:http2 joins
// buffered writes into one new buffer (_writev), so a 1 MB list written as prefix + message
// in one go was copied once more than needed.
import { envelopeHeader } from "../grpc/envelope.ts";
import type { Answer } from "./call.ts";

/** Below this, prefix and message are joined: a write costs more than a small copy. */
const COPY_BELOW = 64 * 1024;

/** The buffers of one length-prefixed message; one buffer where that costs no large copy. */
export function framed(answer: Answer): Uint8Array[] {
  const parts = answer instanceof Uint8Array ? [answer] : answer;
  let length = 0;
  for (const p of parts) length += p.length;
  if (parts.length === 1 && ownPrefix(parts[0])) {
    const m = parts[0];
    return [new Uint8Array(m.buffer, m.byteOffset - 5, m.byteLength + 5)];
  }
  const head = envelopeHeader(length);
  if (length < COPY_BELOW) return [Buffer.concat([head, ...parts])];
  return [head, ...parts.filter((p) => p.length > 0)];
}

/**
 * True when the 5 bytes before `m` in its buffer are its own gRPC prefix: an answer passed
 * through unchanged still sits behind the prefix the runtime sent, so it is written as it came.
 */
function ownPrefix(m: Uint8Array): boolean {
  if (m.byteOffset < 5) return false;
  const v = new DataView(m.buffer, m.byteOffset - 5, 5);
  return v.getUint8(0) === 0 && v.getUint32(1) === m.byteLength;
}

/** Writes the buffers one after another (never buffered together), then calls `done`. */
export function writeInTurn(stream: { write(b: Uint8Array, cb: (e?: Error | null) => void): boolean }, buffers: Uint8Array[], done: () => void): void {
  let i = 0;
  const next = (e?: Error | null) => {
    if (e || i === buffers.length) return done();
    stream.write(buffers[i++], next);
  };
  next();
}
