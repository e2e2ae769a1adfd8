// An answer as the buffers to write, copying as little as possible: Bun's node:http2 joins
// buffered writes into one new buffer (_writev), so a 1 MB list written as prefix + message
// in one go was copied once more than needed.
import { envelopeHeader } from "../grpc/envelope.ts";
import { RawAnswer } from "../backends/raw-answer.ts";
import type { Answer } from "./call.ts";

/** Below this, prefix and message are joined: a write costs more than a small copy. */
const COPY_BELOW = 64 * 1024;

/** The buffers of one length-prefixed message; one buffer where that costs no large copy. */
export function framed(answer: Answer): readonly Uint8Array[] {
  if (answer instanceof RawAnswer) return answer.framedChunks;
  const parts = answer instanceof Uint8Array ? [answer] : answer;
  let length = 0;
  for (const p of parts) length += p.length;
  const head = envelopeHeader(length);
  if (length < COPY_BELOW) return [Buffer.concat([head, ...parts])];
  return [head, ...parts.filter((p) => p.length > 0)];
}

/** Writes the buffers one after another (never buffered together), then calls `done`. */
export function writeInTurn(stream: { write(b: Uint8Array, cb: (e?: Error | null) => void): boolean }, buffers: readonly Uint8Array[], done: () => void): void {
  let i = 0;
  const next = (e?: Error | null) => {
    if (e || i === buffers.length) return done();
    stream.write(buffers[i++], next);
  };
  next();
}
