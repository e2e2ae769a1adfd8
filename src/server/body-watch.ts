// Requests whose body never ends (a client that sends headers and stops) must not hold a
// stream forever. One sweep for all of them, so a call costs a Set insert, not a timer.
import { Code, ConnectError } from "@connectrpc/connect";

/** How long a request body may take to arrive in full (CRI requests are small). */
export const BODY_TIMEOUT_MS = 30_000;

interface Pending {
  readonly since: number;
  readonly expire: (error: ConnectError) => void;
}

const pending = new Set<Pending>();
let sweeper: ReturnType<typeof setInterval> | undefined;

/** Watches a request body; call the returned function once it has arrived (or the stream closed). */
export function watchBody(expire: (error: ConnectError) => void, timeoutMs = BODY_TIMEOUT_MS): () => void {
  const entry: Pending = { since: Date.now(), expire };
  pending.add(entry);
  if (!sweeper) {
    sweeper = setInterval(() => sweep(timeoutMs), Math.min(timeoutMs, 5000));
    sweeper.unref?.();
  }
  return () => {
    pending.delete(entry);
    if (pending.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
}

function sweep(timeoutMs: number): void {
  const limit = Date.now() - timeoutMs;
  for (const p of pending) {
    if (p.since > limit) continue;
    pending.delete(p);
    p.expire(new ConnectError(`request body not received within ${timeoutMs / 1000}s`, Code.DeadlineExceeded));
  }
}
