// The stream state machine (RFC 9113 §5.1) as one table: for each state a stream can be in when
// a frame for it arrives, what that frame does, or the error an illegal one is (a stream error
// resets the stream; a connection error ends the connection). What the connection does with a
// legal frame (open the stream, end the peer's side) is in connection.ts; which state a stream is
// in is decided there from its flags and the closed streams it remembers.
import { ErrorCode } from "./frames.ts";

/**
 * idle: not opened yet (above the highest id seen). open / half-closed-local / half-closed-remote
 * as RFC 9113. closed: both sides ended, or the peer reset it. reset-sent: we reset it (frames
 * already in flight are ignored, §5.1 "closed"). skipped: a server-side id below the highest the
 * peer opened that it never opened (or one closed so long ago it is forgotten).
 */
export type StreamState =
  | "idle"
  | "open"
  | "half-closed-local"
  | "half-closed-remote"
  | "closed"
  | "reset-sent"
  | "skipped";

/** The frames that belong to a stream (CONTINUATION is checked where blocks are gathered). */
export type StreamFrame = "HEADERS" | "DATA" | "RST_STREAM" | "WINDOW_UPDATE" | "PRIORITY";

export type Verdict =
  | { readonly act: "accept" }
  | { readonly act: "ignore" }
  | { readonly act: "stream-error" | "connection-error"; readonly code: number; readonly why: string };

const accept: Verdict = { act: "accept" };
const ignore: Verdict = { act: "ignore" };
const streamError = (code: number, why: string): Verdict => ({ act: "stream-error", code, why });
const connectionError = (code: number, why: string): Verdict => ({ act: "connection-error", code, why });

const allLegal: Record<StreamFrame, Verdict> = {
  HEADERS: accept,
  DATA: accept,
  RST_STREAM: accept,
  WINDOW_UPDATE: accept,
  PRIORITY: accept,
};

/** What each frame does in each state. PRIORITY is legal everywhere (§5.1) and changes nothing. */
export const RECEIVE: Readonly<Record<StreamState, Readonly<Record<StreamFrame, Verdict>>>> = {
  idle: {
    HEADERS: accept, // opens the stream
    DATA: connectionError(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream"),
    RST_STREAM: connectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on an idle stream"),
    WINDOW_UPDATE: connectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream"),
    PRIORITY: accept,
  },
  open: allLegal,
  "half-closed-local": allLegal,
  "half-closed-remote": {
    HEADERS: streamError(ErrorCode.STREAM_CLOSED, "HEADERS after the peer ended the stream"),
    DATA: streamError(ErrorCode.STREAM_CLOSED, "DATA after the peer ended the stream"),
    RST_STREAM: accept,
    WINDOW_UPDATE: accept,
    PRIORITY: accept,
  },
  closed: {
    HEADERS: connectionError(ErrorCode.STREAM_CLOSED, "HEADERS on a closed stream"),
    DATA: streamError(ErrorCode.STREAM_CLOSED, "DATA on a closed stream"),
    RST_STREAM: ignore, // may cross our end on the wire
    WINDOW_UPDATE: ignore,
    PRIORITY: accept,
  },
  "reset-sent": { HEADERS: ignore, DATA: ignore, RST_STREAM: ignore, WINDOW_UPDATE: ignore, PRIORITY: accept },
  skipped: {
    HEADERS: connectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on a stream id lower than one already opened"),
    DATA: streamError(ErrorCode.STREAM_CLOSED, "DATA on a closed stream"),
    RST_STREAM: ignore,
    WINDOW_UPDATE: ignore,
    PRIORITY: accept,
  },
};

/** The state of an open stream from what each side has ended. */
export function openState(localEnded: boolean, remoteEnded: boolean): StreamState {
  return remoteEnded ? "half-closed-remote" : localEnded ? "half-closed-local" : "open";
}

/** The last `size` closed streams and how each closed: a ring (a Map that drops its oldest entry on every close costs ~10 µs a call in Bun). */
export class RecentlyClosed {
  private readonly ids: Int32Array;
  private readonly resetSent: Uint8Array;
  private next = 0;

  constructor(private readonly size = 256) {
    this.ids = new Int32Array(size);
    this.resetSent = new Uint8Array(size);
  }

  add(id: number, how: "closed" | "reset-sent"): void {
    this.ids[this.next] = id;
    this.resetSent[this.next] = how === "reset-sent" ? 1 : 0;
    this.next = (this.next + 1) % this.size;
  }

  /** How stream `id` closed, newest first; undefined when it is not among the last `size`. */
  get(id: number): "closed" | "reset-sent" | undefined {
    if (id === 0) return undefined;
    for (let n = 1; n <= this.size; n++) {
      const at = (this.next - n + this.size) % this.size;
      if (this.ids[at] === id) return this.resetSent[at] ? "reset-sent" : "closed";
    }
    return undefined;
  }
}
