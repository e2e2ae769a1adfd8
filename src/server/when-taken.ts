// A write the client must take within a bound: a client that stops reading (its HTTP/2
// window closed) must not hold a stream, a runtime's answer and the bytes behind it forever.
import type { ServerHttp2Stream } from "node:http2";

const STUCK = Symbol("the client stopped reading");

/**
 * Writes `b`; resolves once the stream has taken it (its buffer has room again), rejects with
 * `whenTaken.STUCK` when that takes longer than `stuckMs`, or with the stream's error.
 */
export function whenTaken(stream: ServerHttp2Stream, b: Uint8Array, stuckMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => settle(STUCK), stuckMs);
    const settle = (e?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.off("close", closed);
      e === undefined ? resolve() : reject(e);
    };
    const closed = () => settle(new Error("the stream closed"));
    stream.once("close", closed);
    stream.write(b, (e) => settle(e ?? undefined));
  });
}
whenTaken.STUCK = STUCK;
