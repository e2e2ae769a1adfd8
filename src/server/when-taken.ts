// A write the client must take within a bound: a client that stops reading (its HTTP/2
// window closed) must not hold a stream, a runtime's answer and the bytes behind it forever.
import { Code, ConnectError } from "@connectrpc/connect";
import type { H2Stream } from "../h2/stream.ts";

const STUCK = Symbol("the client stopped reading");

/**
 * Writes `b`; resolves once the stream has taken it (the client's window let it be framed),
 * rejects with `whenTaken.STUCK` when that takes longer than `stuckMs`, or with the stream's error.
 */
export function whenTaken(stream: H2Stream, b: Uint8Array, stuckMs: number): Promise<void> {
  // A stream that closes under a write is the client going away, not a fault of ours.
  const written = stream
    .write(b)
    .catch((e) => Promise.reject(new ConnectError(`the client went away: ${(e as Error).message}`, Code.Canceled)));
  // Most writes are framed at once: no timer for them.
  if (stream.writes.length === 0) return written;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(STUCK), stuckMs);
    written.then(
      () => (clearTimeout(timer), resolve()),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}
whenTaken.STUCK = STUCK;
