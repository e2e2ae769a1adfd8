// What a connection is configured with, and what its helpers (control-frames.ts,
// header-blocks.ts, stream-admission.ts) may ask of it: the parts of H2Connection shared inside src/h2.
import type { HeaderList } from "./hpack.ts";
import type { Sink } from "./output.ts";
import type { Sender } from "./sender.ts";
import type { CloseCause, H2Stream, StreamHost } from "./stream.ts";
import type { StreamFrame, StreamState } from "./stream-states.ts";

/** Where a connection writes, and how it hangs up. */
export interface ConnectionSink extends Sink {
  /** Closes at once. */
  end(): void;
  /** Closes our sending half but goes on reading (and dropping) a while, so that the peer reads our
   *  GOAWAY before it sees the socket closed: closing with its bytes unread resets the connection,
   *  and a peer (or a relay) that writes then fails before reading what we sent (nginx lingers too). */
  linger?(): void;
}

export interface ConnectionOptions {
  /** The server side expects the client preface and takes odd streams the peer opens. */
  readonly server: boolean;
  /** Streams the peer may have open at once (server); more are refused. */
  readonly maxConcurrentStreams: number;
  /** Our receive window per stream, and for the whole connection. */
  readonly streamWindow: number;
  readonly connectionWindow: number;
  /** The most a request's or answer's header list may weigh (RFC 7541 sizes). */
  readonly maxHeaderListSize: number;
  /** A new stream the peer opened (server), with its request headers. */
  readonly onStream?: (stream: H2Stream, headers: HeaderList, endStream: boolean) => void;
  /** The connection is gone; `reason` when it failed. */
  readonly onClose?: (reason: string | undefined) => void;
  /** A stream the peer opened was refused here, before anyone saw it (server): too many, or malformed. */
  readonly onRefused?: (reason: string, headers: HeaderList) => void;
  /** The peer sent GOAWAY: its code, the last stream it will process, its debug text. */
  readonly onGoaway?: (code: number, lastStreamId: number, debugText: string) => void;
  /** We ended the connection with GOAWAY ENHANCE_YOUR_CALM (a flood, or a peer that does not read); once, before onClose. */
  readonly onCalm?: (reason: string) => void;
  /** Client: a stream closed, or the peer raised MAX_CONCURRENT_STREAMS: a request waiting for a slot may go. */
  readonly onStreamSlot?: () => void;
}

/** H2Connection as its helpers see it. */
export interface ConnectionCore extends StreamHost {
  readonly opts: ConnectionOptions;
  readonly streams: Map<number, H2Stream>;
  readonly sender: Sender;
  peerInitialWindow: number;
  peerMaxConcurrentStreams: number;
  sentSincePing: boolean;
  readonly goawayReceived: boolean;
  readonly goawaySent: boolean;
  /** The highest stream id the peer opened (server). */
  lastPeerStream: number;
  /** The peer ended a stream (END_STREAM). */
  remoteEnd(stream: H2Stream): void;
  /** Charges the calm budget; throws ConnectionError(ENHANCE_YOUR_CALM) past it. */
  spend(what: string): void;
  /** Queues a frame we owe the peer; throws when a peer that does not read lets them pile up. */
  owe(frame: Uint8Array): void;
  /** The transitions table's verdict: the state when the frame is legal, undefined when it was handled (ignored, stream error). */
  admit(id: number, kind: StreamFrame): StreamState | undefined;
  streamError(id: number, code: number, why: string): void;
  closeStream(id: number, code: number, cause: CloseCause): void;
  goawayFrom(code: number, lastStreamId: number, debugText: string): void;
}
