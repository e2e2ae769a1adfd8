// A unary answer may be a runtime's answer still arriving (RawAnswer, handed to kubelet from
// its first chunk): metrics and call records wait for its end, without joining it, to
// report the true duration and code (a runtime may end a started answer with an error).
import { RawAnswer } from "../backends/raw-answer.ts";
import type { Answer } from "../server/call.ts";

/** The runtime answers inside `answer` that may still be arriving. */
export function rawParts(answer: Answer): RawAnswer[] {
  if (answer instanceof Uint8Array) return [];
  if (answer instanceof RawAnswer) return [answer];
  return answer.filter((p): p is RawAnswer => p instanceof RawAnswer);
}

/** Resolves when every part has arrived; rejects with the runtime's error if one ends with it. */
export async function answerEnded(parts: readonly RawAnswer[]): Promise<void> {
  for (const part of parts) for await (const _ of part.framedChunks());
}

/** The whole message (joins a RawAnswer: only for small answers that must be read). */
export async function answerBytes(answer: Answer): Promise<Uint8Array> {
  if (answer instanceof Uint8Array) return answer;
  if (answer instanceof RawAnswer) return answer.message();
  return Buffer.concat(await Promise.all(answer.map((p) => (p instanceof RawAnswer ? p.message() : p))));
}
