// The sending half of a connection: header blocks, and DATA framed as the peer's windows allow,
// one frame per stream per round so concurrent answers share the connection, and none while
// the socket is behind (the Output is full): backpressure reaches the writers.
import { DEFAULT_MAX_FRAME, DEFAULT_WINDOW, F, frame, T } from "./frames.ts";
import { encodeHeaders, type HeadersOut } from "./hpack.ts";
import type { Output } from "./output.ts";
import type { H2Stream } from "./stream.ts";

/** Frames what streams queue. */
export class Sender {
  /** The peer's connection window: what we may still send on the whole connection. */
  window = DEFAULT_WINDOW;
  /** The largest frame the peer takes (SETTINGS_MAX_FRAME_SIZE). */
  maxFrame = DEFAULT_MAX_FRAME;
  private readonly ready = new Map<H2Stream, () => void>();

  constructor(private readonly output: Output) {}

  /** A header block (a list, or one encoded once with encodeHeaders): HEADERS, then CONTINUATION frames when it outgrows a frame. */
  headers(id: number, headers: HeadersOut, endStream: boolean): void {
    const block = headers instanceof Uint8Array ? headers : encodeHeaders(headers);
    const end = endStream ? F.END_STREAM : 0;
    if (block.length <= this.maxFrame) return this.output.push(frame(T.HEADERS, end | F.END_HEADERS, id, block));
    for (let at = 0; at < block.length; at += this.maxFrame) {
      const last = at + this.maxFrame >= block.length;
      const type = at === 0 ? T.HEADERS : T.CONTINUATION;
      this.output.push(
        frame(type, (at === 0 ? end : 0) | (last ? F.END_HEADERS : 0), id, block.subarray(at, at + this.maxFrame)),
      );
    }
  }

  /** A stream has writes or its end queued; `ended` runs once its end has been sent. */
  schedule(stream: H2Stream, ended: () => void): void {
    this.ready.set(stream, ended);
    this.pump();
  }

  /** Forgets a closed stream. */
  forget(stream: H2Stream): void {
    this.ready.delete(stream);
  }

  /** Frames as much queued data as the windows and the socket allow. */
  pump(): void {
    let progress = true;
    while (progress && this.ready.size > 0) {
      progress = false;
      for (const [s, ended] of this.ready) {
        if (this.output.full) return;
        const sent = this.next(s, ended);
        progress ||= sent;
      }
    }
  }

  // One frame (or the end) of one stream; false when it is blocked or has nothing more.
  private next(s: H2Stream, ended: () => void): boolean {
    const w = s.writes[0];
    if (!w) {
      this.ready.delete(s);
      if (s.ending === undefined) return false;
      const trailers = s.ending;
      s.ending = undefined;
      s.localEnded = true;
      if (trailers === true) this.output.push(frame(T.DATA, F.END_STREAM, s.id));
      else this.headers(s.id, trailers, true);
      ended();
      return true;
    }
    const left = w.data.length - w.offset;
    const n = Math.min(left, s.sendWindow, this.window, this.maxFrame);
    if (left > 0 && n <= 0) return false; // its window (or the connection's) is shut: others may go on
    if (n > 0) {
      this.output.pushFrame(
        T.DATA,
        0,
        s.id,
        w.offset === 0 && n === w.data.length ? w.data : w.data.subarray(w.offset, w.offset + n),
      );
      w.offset += n;
      s.sendWindow -= n;
      this.window -= n;
    }
    if (w.offset === w.data.length) {
      s.writes.shift();
      w.resolve();
    }
    return true;
  }
}
