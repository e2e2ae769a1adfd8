// A unary answer: the message's bytes; parts whose concatenation is the message (protobuf
// merges concatenated messages: how list answers are merged unread); or a runtime's answer
// passed on as it arrives (RawAnswer). A RawAnswer among parts stands for its message bytes.
import { RawAnswer } from "./raw-answer.ts";

export type Answer = Uint8Array | readonly (Uint8Array | RawAnswer)[] | RawAnswer;

/** The runtime answers inside `answer` that may still be arriving. */
export function rawParts(answer: Answer): RawAnswer[] {
  if (answer instanceof Uint8Array) return [];
  if (answer instanceof RawAnswer) return [answer];
  return answer.filter((p): p is RawAnswer => p instanceof RawAnswer);
}

/** Resolves when every part has arrived; rejects with the runtime's error if one ends with it. */
export async function answerEnded(parts: readonly RawAnswer[]): Promise<void> {
  for (const part of parts) await part.ended();
}

/** The whole message (joins a RawAnswer: only for answers that must be read). */
export async function answerBytes(answer: Answer): Promise<Uint8Array> {
  if (answer instanceof Uint8Array) return answer;
  if (answer instanceof RawAnswer) return answer.message();
  return Buffer.concat(await Promise.all(answer.map((p) => (p instanceof RawAnswer ? p.message() : p))));
}
