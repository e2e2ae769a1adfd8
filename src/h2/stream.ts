// One HTTP/2 stream as its user sees it: callbacks for what the peer sends, and headers,
// data (flow-controlled; a write resolves once framed), trailers and resets to send.
import { ErrorCode } from "./frames.ts";
import type { HeaderList, HeadersOut } from "./hpack.ts";

/** Why a stream closed: both sides ended, a reset (theirs or ours), or the connection went away. */
export type CloseCause = "done" | "reset-by-peer" | "reset" | "connection-lost" | "refused";

/** What a stream needs of its connection. */
export interface StreamHost {
  sendHeaders(stream: H2Stream, headers: HeadersOut, endStream: boolean): void;
  /** The stream has data (or its end) queued: frame what the windows allow. */
  schedule(stream: H2Stream): void;
  /** Sends RST_STREAM and forgets the stream. */
  resetStream(stream: H2Stream, code: number): void;
  /** Returns consumed bytes to the peer's window for this stream. */
  credit(stream: H2Stream, bytes: number): void;
}

interface Write {
  readonly data: Uint8Array;
  offset: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

const noop = () => {};

/** An HTTP/2 stream. */
export class H2Stream {
  /** Response headers (client), or trailers (either side; `endStream` then true). */
  onHeaders: (headers: HeaderList, endStream: boolean) => void = noop;
  onData: (chunk: Buffer) => void = noop;
  /** The peer ended its side (after its data and trailers). */
  onEnd: () => void = noop;
  /** The stream is closed, with the RST code (0 for a clean end) and why. */
  onClose: (code: number, cause: CloseCause) => void = noop;

  headersSent = false;
  /** The peer's headers arrived (a later HEADERS is trailers). */
  headersReceived = false;
  /** Body bytes the request's content-length still promises (server; undefined without one). */
  contentLeft: number | undefined;
  localEnded = false;
  remoteEnded = false;
  closed = false;
  /** The RST code it closed with (0 for a clean end). */
  rstCode: number | undefined;
  /** Bytes the peer may still send us / we may still send it. */
  recvWindow: number;
  sendWindow: number;
  /** Queued writes, and the trailers (or a bare end) that follow them. */
  readonly writes: Write[] = [];
  ending: HeadersOut | true | undefined;
  private paused = false;
  private uncredited = 0;
  private readonly creditBatch: number;

  constructor(
    readonly id: number,
    private readonly host: StreamHost,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
    this.creditBatch = recvWindow / 4;
  }

  /** Sends headers, a list or a block encoded once (with `endStream`, a headers-only answer such as gRPC's trailers-only). */
  sendHeaders(headers: HeadersOut, endStream = false): void {
    if (this.closed || this.localEnded) return;
    this.headersSent = true;
    if (endStream) this.localEnded = true;
    this.host.sendHeaders(this, headers, endStream);
  }

  /** Queues data; resolves once it is framed (the peer's windows allowed it), rejects if the stream closes first. */
  write(data: Uint8Array): Promise<void> {
    if (this.closed || this.localEnded || this.ending) return Promise.reject(new Error(`stream ${this.id} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.writes.push({ data, offset: 0, resolve, reject });
      this.host.schedule(this);
    });
  }

  /** Ends our side after the queued data: with trailers, or with an empty DATA frame. */
  end(trailers?: HeadersOut): void {
    if (this.closed || this.localEnded || this.ending) return;
    this.ending = trailers ?? true;
    this.host.schedule(this);
  }

  /** Resets the stream (CANCEL by default); pending writes reject. */
  reset(code: number = ErrorCode.CANCEL): void {
    if (this.closed) return;
    this.host.resetStream(this, code);
  }

  /** Stops returning window to the peer: it can send at most its remaining window more. */
  pause(): void {
    this.paused = true;
  }

  /** Returns the window held back while paused. */
  resume(): void {
    this.paused = false;
    const n = this.uncredited;
    this.uncredited = 0;
    if (n > 0 && !this.closed && !this.remoteEnded) this.host.credit(this, n);
  }

  /** Called by the connection after delivering `bytes`: credits the peer unless paused (in batches of a quarter window). */
  consumed(bytes: number): void {
    this.uncredited += bytes;
    if (this.paused || this.closed || this.remoteEnded || this.uncredited < this.creditBatch) return;
    const n = this.uncredited;
    this.uncredited = 0;
    if (n > 0) this.host.credit(this, n);
  }

  /** Marks the stream closed, rejects pending writes, and tells the user (once). */
  close(code: number, cause: CloseCause): void {
    if (this.closed) return;
    this.closed = true;
    this.rstCode = code;
    if (this.writes.length > 0) {
      const error = new Error(`stream ${this.id} closed (${cause}, code ${code})`);
      for (const w of this.writes.splice(0)) w.reject(error);
    }
    this.onClose(code, cause);
  }
}
