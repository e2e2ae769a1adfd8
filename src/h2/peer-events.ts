// What a connection tells its owner about the peer beyond streams: what a client needs to
// honour a server's limits (MAX_CONCURRENT_STREAMS, the stream id space) and to say why it went.
import type { CloseCause, H2Stream } from "./stream.ts";

/** The largest stream id (RFC 9113 §5.1.1: 31 bits); past it a client needs a new connection. */
export const MAX_STREAM_ID = 2 ** 31 - 1;

/** Stream ids a client whose next stream is `next` may still open. */
export function idsLeft(next: number): number {
  return next > MAX_STREAM_ID ? 0 : Math.floor((MAX_STREAM_ID - next) / 2) + 1;
}

export interface PeerEvents {
  /** The peer sent GOAWAY: its error code, the last stream it will process, its debug text. */
  readonly onGoaway?: (code: number, lastStreamId: number, debug: string) => void;
  /** A stream closed (its slot is free); after its user was told. */
  readonly onStreamClosed?: (stream: H2Stream, code: number, cause: CloseCause) => void;
  /** The peer's SETTINGS were applied (MAX_CONCURRENT_STREAMS may have changed). */
  readonly onSettings?: () => void;
  /** The first stream id this side opens (client: odd; tests start near the end of the id space). */
  readonly firstStreamId?: number;
}
