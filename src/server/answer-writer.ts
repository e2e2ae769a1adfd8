// Writing answers: the gRPC prefix and message(s), copying as little as possible: a small
// answer in one write, a runtime's answer passed on chunk by chunk as it arrives (each taken
// before the next is written, so a slow kubelet holds the runtime back).
import type { Answer } from "../grpc/answer.ts";
import { envelopeHeader } from "../grpc/envelope.ts";
import { RawAnswer } from "../grpc/raw-answer.ts";

/** Below this, prefix and message are joined: a write costs more than a small copy. */
const COPY_BELOW = 64 * 1024;

/** Where an answer goes: `write` resolves once the buffer is taken. */
export interface Writable {
  write(b: Uint8Array): Promise<void>;
}

/** The whole framed answer in one buffer when that needs no waiting and no large copy, else undefined. */
export function settledBuffer(answer: Answer): Uint8Array | undefined {
  if (answer instanceof RawAnswer) {
    const settled = answer.settled();
    return settled?.length === 1 ? settled[0] : undefined;
  }
  const parts = answer instanceof Uint8Array ? [answer] : answer;
  let length = 0;
  for (const p of parts) {
    if (p instanceof RawAnswer) return undefined;
    length += p.length;
  }
  return length < COPY_BELOW ? Buffer.concat([envelopeHeader(length), ...(parts as Uint8Array[])]) : undefined;
}

/** Writes a unary answer; rejects if the runtime's answer ends in an error or the write fails. */
export async function writeAnswer(stream: Writable, answer: Answer): Promise<void> {
  if (answer instanceof RawAnswer) {
    for await (const chunk of answer.framedChunks()) await stream.write(chunk);
    return;
  }
  const parts = answer instanceof Uint8Array ? [answer] : answer;
  let length = 0;
  for (const p of parts) length += p instanceof RawAnswer ? await p.messageLength() : p.length;
  if (length < COPY_BELOW && parts.every((p) => p instanceof Uint8Array)) {
    return stream.write(Buffer.concat([envelopeHeader(length), ...(parts as Uint8Array[])]));
  }
  await stream.write(envelopeHeader(length));
  for (const p of parts) {
    if (p instanceof RawAnswer) for await (const chunk of p.messageChunks()) await stream.write(chunk);
    else if (p.length > 0) await stream.write(p);
  }
}
