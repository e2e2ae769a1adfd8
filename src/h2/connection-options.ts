// What a connection is configured with, and what its helpers (control-frames.ts,
// accept-stream.ts) may ask of it: the parts of H2Connection shared inside src/h2.
import type { HeaderList } from "./hpack.ts";
import type { Sender } from "./sender.ts";
import type { CloseCause, H2Stream, StreamHost } from "./stream.ts";
import type { StreamFrame, StreamState } from "./stream-states.ts";

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
