// Whether a frame on a stream is legal where that stream stands (stream-states.ts's table), and
// what becomes of one that is not: a connection error, a stream error, or ignored. Ignored DATA
// and HEADERS cost calm, except the answers still in flight on calls we cancelled (client side,
// RFC 9113 §5.1: "reset-sent" streams may still receive what the peer sent before our RST).
import type { ConnectionOptions } from "./connection-options.ts";
import { ConnectionError } from "./frames.ts";
import type { H2Stream } from "./stream.ts";
import { openState, RECEIVE, RecentlyClosed, type StreamFrame, type StreamState } from "./stream-states.ts";

/** Closed streams remembered, to tell a late frame on one (ignored or STREAM_CLOSED) from a skipped id. */
const REMEMBERED = 256;
/** Free late frames granted at most (a cap, so that cancelling calls cannot buy a flood). */
const MAX_LATE_FRAMES = 1 << 16;

/** What admission reads of its connection. */
export interface AdmissionHost {
  readonly opts: ConnectionOptions;
  readonly streams: Map<number, H2Stream>;
  /** The highest stream id the peer opened (server side). */
  readonly lastPeerStream: number;
  /** The next stream id we would open (client side). */
  readonly nextStreamId: number;
  spend(what: string): void;
  streamError(id: number, code: number, why: string): void;
}

/** A connection's stream admission: the states of streams closed lately, and late frames owed. */
export class StreamAdmission {
  private readonly closed = new RecentlyClosed(REMEMBERED);
  private lateFrames = 0;

  constructor(private readonly c: AdmissionHost) {}

  /** Where stream `id` stands, for a frame arriving on it. */
  stateOf(id: number): StreamState {
    const { c } = this;
    const s = c.streams.get(id);
    if (s) return openState(s.localEnded, s.remoteEnded);
    if (c.opts.server ? id > c.lastPeerStream : id >= c.nextStreamId) return "idle"; // first: a new stream scans no list
    // Client side, a stream long closed: whatever comes late is ignored.
    return this.closed.get(id) ?? (c.opts.server ? "skipped" : "reset-sent");
  }

  /** The table's verdict on a `kind` frame for stream `id`: the state when it is accepted, undefined when handled here. */
  admit(id: number, kind: StreamFrame): StreamState | undefined {
    const s = this.c.streams.get(id);
    if (s !== undefined && !s.remoteEnded) return s.localEnded ? "half-closed-local" : "open"; // these rows accept every frame
    const state = this.stateOf(id);
    const v = RECEIVE[state][kind];
    if (v.act === "accept") return state;
    if (v.act === "connection-error") throw new ConnectionError(v.code, `${v.why} (stream ${id})`);
    if (v.act === "stream-error") this.c.streamError(id, v.code, v.why);
    else if ((kind === "DATA" || kind === "HEADERS") && !(state === "reset-sent" && this.lateFrames-- > 0))
      this.c.spend("frames on closed streams"); // a late WINDOW_UPDATE or RST is a race, not a flood
    return undefined;
  }

  /** Stream `id` closed, as `how`. */
  remember(id: number, how: "closed" | "reset-sent"): void {
    this.closed.add(id, how);
  }

  /** We reset `stream` (client side): its HEADERS, DATA up to its window and trailers may still come, free. */
  cancelled(stream: H2Stream): void {
    const owed = 3 + Math.ceil(stream.recvWindow / 16384);
    this.lateFrames = Math.min(Math.max(this.lateFrames, 0) + owed, MAX_LATE_FRAMES);
  }
}
