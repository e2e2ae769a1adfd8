// One HTTP/2 connection, either side (RFC 9113), for gRPC: streams (which frame each may take
// in stream-admission.ts), flow control both ways, SETTINGS, PING, GOAWAY (control-frames.ts), header
// blocks bounded in size, request headers checked (§8, header-blocks.ts), and a calm budget against floods. It
// reads bytes from `receive` and writes through an Output; it never parses or checks :authority,
// which on a Unix socket means nothing (grpc-go before 1.58 sends the raw socket path there).
import { CalmBudget } from "./calm-budget.ts";
import { controlFrame } from "./control-frames.ts";
import {
  CLIENT_PREFACE,
  ConnectionError,
  DEFAULT_WINDOW,
  ErrorCode,
  F,
  goawayFrame,
  rstStreamFrame,
  S,
  settingsFrame,
  windowUpdateFrame,
} from "./frames.ts";
import { HpackBomb, HpackError, type HeaderList, type HeadersOut } from "./hpack.ts";
import { Output } from "./output.ts";
import { Receiver, unpad, type FrameHandler } from "./receiver.ts";
import { headerBlock } from "./header-blocks.ts";
import { Sender } from "./sender.ts";
import { H2Stream, type CloseCause } from "./stream.ts";
import type { ConnectionCore, ConnectionOptions, ConnectionSink } from "./connection-options.ts";
export type { ConnectionOptions, ConnectionSink } from "./connection-options.ts";
import { StreamAdmission } from "./stream-admission.ts";
import type { StreamFrame, StreamState } from "./stream-states.ts";

/** The highest stream id (2^31-1). */
const MAX_STREAM_ID = 0x7fffffff;
/** What may be queued past the output's high-water mark (where DATA stops): replies we owe a peer that does not read (CVE-2019-9512/9517). */
const OWED_ROOM = 128 * 1024;

/** An HTTP/2 connection over a byte stream. */
export class H2Connection implements ConnectionCore, FrameHandler {
  readonly streams = new Map<number, H2Stream>();
  readonly output: Output;
  /** Internal to src/h2 (control-frames.ts): the sending half and the flood budget. */
  readonly sender: Sender;
  readonly calm = new CalmBudget();
  private readonly receiver: Receiver;
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE: each new stream's send window. */
  peerInitialWindow = DEFAULT_WINDOW;
  /** The peer's SETTINGS_MAX_CONCURRENT_STREAMS: streams we may have open at once (client side: queue past it). */
  peerMaxConcurrentStreams = Infinity;
  /** We sent HEADERS or DATA since the peer's last PING (a PING that answers ours is free, as grpc-go counts). */
  sentSincePing = true;
  /** Our connection receive window, and bytes delivered but not yet returned to it. */
  private recvWindow = DEFAULT_WINDOW;
  private recvUncredited = 0;
  /** The highest stream id the peer opened (server). */
  lastPeerStream = 0;
  /** The next stream id we open (client). */
  nextStreamId = 1;
  private readonly admission = new StreamAdmission(this);
  goawaySent = false;
  goawayReceived = false;
  closed = false;

  constructor(
    readonly sink: ConnectionSink,
    readonly opts: ConnectionOptions,
  ) {
    this.output = new Output(sink, () => this.sender.pump());
    this.sender = new Sender(this.output);
    this.receiver = new Receiver(opts.server, opts.maxHeaderListSize, this);
    if (!opts.server) this.output.push(CLIENT_PREFACE);
    const settings: [number, number][] = [
      [S.INITIAL_WINDOW_SIZE, opts.streamWindow],
      [S.MAX_HEADER_LIST_SIZE, opts.maxHeaderListSize],
      opts.server ? [S.MAX_CONCURRENT_STREAMS, opts.maxConcurrentStreams] : [S.ENABLE_PUSH, 0],
    ];
    this.output.push(settingsFrame(settings));
    if (opts.connectionWindow > DEFAULT_WINDOW) {
      this.output.push(windowUpdateFrame(0, opts.connectionWindow - DEFAULT_WINDOW));
      this.recvWindow = opts.connectionWindow;
    }
  }

  /** Streams open now. */
  get active(): number {
    return this.streams.size;
  }

  /** Client: stream ids still unused; at 0 the connection can open no more (open a new one before). */
  get streamIdsLeft(): number {
    return Math.max(0, Math.floor((MAX_STREAM_ID - this.nextStreamId) / 2) + 1);
  }

  /** Client: no new stream can ever be opened here (closed, GOAWAY either way, or ids used up). */
  get exhausted(): boolean {
    return this.closed || this.goawayReceived || this.goawaySent || this.streamIdsLeft === 0;
  }

  /** Opens a stream (client side) and sends its request headers. */
  request(headers: HeadersOut, endStream = false): H2Stream {
    if (this.closed || this.goawayReceived) throw new Error("the connection is closing");
    if (this.streamIdsLeft === 0) throw new Error("the connection has used every stream id");
    const stream = new H2Stream(this.nextStreamId, this, this.peerInitialWindow, this.opts.streamWindow);
    this.nextStreamId += 2;
    this.streams.set(stream.id, stream);
    stream.sendHeaders(headers, endStream);
    return stream;
  }

  /** Feeds bytes read from the socket. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    try {
      this.receiver.receive(chunk, () => this.closed);
    } catch (e) {
      if (e instanceof ConnectionError) return this.shutdown(e.code, e.message);
      if (e instanceof HpackError)
        return this.shutdown(
          e instanceof HpackBomb ? ErrorCode.ENHANCE_YOUR_CALM : ErrorCode.COMPRESSION_ERROR,
          e.message,
        );
      throw e;
    }
  }

  /** The socket can take more. */
  drained(): void {
    this.output.drained();
  }

  /** Stops taking new streams (GOAWAY NO_ERROR); the connection ends once its streams have. */
  goaway(): void {
    if (this.closed || this.goawaySent) return;
    this.goawaySent = true;
    this.output.push(goawayFrame(this.lastPeerStream, ErrorCode.NO_ERROR));
    if (this.streams.size === 0) this.end();
  }

  /** The socket closed, or we give up: every stream closes as its connection is lost, and the socket is closed. */
  destroy(reason?: string, linger = false): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.close(ErrorCode.CANCEL, "connection-lost");
    this.streams.clear();
    this.output.discard();
    if (linger && this.sink.linger) this.sink.linger();
    else this.sink.end();
    this.opts.onClose?.(reason);
  }

  /** Ends the connection now with GOAWAY `code` (written first if the socket takes it): a protocol error, a flood, or (NO_ERROR) room for another.
   *  A flood's socket is closed at once; any other lingers, so that the peer learns why. */
  shutdown(code: number = ErrorCode.NO_ERROR, reason?: string): void {
    if (this.closed) return;
    this.goawaySent = true;
    this.output.push(goawayFrame(this.lastPeerStream, code, reason));
    this.output.flush(); // written now: destroy discards what is still queued
    if (code === ErrorCode.ENHANCE_YOUR_CALM) {
      reason = `${reason} (GOAWAY ENHANCE_YOUR_CALM)`;
      this.opts.onCalm?.(reason);
    }
    this.destroy(reason, code !== ErrorCode.ENHANCE_YOUR_CALM);
  }

  /** Internal: the GOAWAY exchange is over and no stream is left. */
  end(): void {
    this.output.whenWritten(() => this.sink.end()); // after the last frames (GOAWAY) are written
  }

  /** FrameHandler: a frame that costs work and carries nothing. */
  spend(what: string): void {
    this.calm.spend(what);
  }

  /** Internal: queues a frame we owe the peer (an ACK, a reset); a peer that lets them pile up is cut off. */
  owe(frame: Uint8Array): void {
    this.output.push(frame);
    if (this.output.queuedBytes > this.output.highWater + OWED_ROOM)
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "the peer does not read the frames it is owed");
  }

  /** Internal: the transitions table's verdict on a `kind` frame for stream `id`; the state when it is accepted, undefined when handled. */
  admit(id: number, kind: StreamFrame): StreamState | undefined {
    return this.admission.admit(id, kind);
  }

  /** Internal: a stream error (§5.4.2): RST_STREAM with `code`; the stream, if open, is closed. Each costs calm. */
  streamError(id: number, code: number, why: string): void {
    this.spend(`stream errors (${why})`);
    const stream = this.streams.get(id);
    if (stream) this.closeStream(id, code, "reset");
    else this.admission.remember(id, "reset-sent");
    this.owe(rstStreamFrame(id, code));
  }

  /** FrameHandler: frames other than DATA and header blocks. */
  control(type: number, flags: number, id: number, payload: Buffer): void {
    controlFrame(this, type, flags, id, payload);
  }

  /** FrameHandler: a DATA frame. */
  data(flags: number, id: number, payload: Buffer): void {
    if (payload.length > this.recvWindow)
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "the peer sent past the connection window");
    this.recvWindow -= payload.length;
    const body = unpad(payload, flags);
    this.creditConnection(payload.length); // the connection's window is returned on delivery; a stream's when its user takes it
    const endStream = (flags & F.END_STREAM) !== 0;
    if (payload.length === 0 && !endStream) this.spend("empty DATA frames");
    if (this.admit(id, "DATA") === undefined) return;
    const stream = this.streams.get(id)!;
    if (payload.length > stream.recvWindow)
      return this.streamError(id, ErrorCode.FLOW_CONTROL_ERROR, "DATA past the stream's window");
    stream.recvWindow -= payload.length;
    if (stream.contentLeft !== undefined && (stream.contentLeft -= body.length) < 0)
      return this.streamError(id, ErrorCode.PROTOCOL_ERROR, "DATA past the content-length");
    if (body.length > 0) stream.onData(body);
    stream.consumed(payload.length);
    if (endStream) this.remoteEnd(stream);
  }

  /** FrameHandler: a whole, decoded header block (header-blocks.ts). */
  headerBlock(id: number, endStream: boolean, headers: HeaderList, tooLarge: boolean, selfDependent: boolean): void {
    headerBlock(this, id, endStream, headers, tooLarge, selfDependent);
  }

  /** Internal: the peer's GOAWAY (control-frames.ts checked it). */
  goawayFrom(code: number, last: number, debug: string): void {
    this.goawayReceived = true;
    this.opts.onGoaway?.(code, last, debug);
    // Streams the peer never processed are safe to send again.
    for (const s of [...this.streams.values()])
      if (!this.opts.server && s.id > last) this.closeStream(s.id, ErrorCode.REFUSED_STREAM, "refused");
    if (this.streams.size === 0) this.end();
  }

  private creditConnection(bytes: number): void {
    this.recvUncredited += bytes;
    if (this.recvUncredited < this.opts.connectionWindow / 4) return;
    this.output.push(windowUpdateFrame(0, this.recvUncredited));
    this.recvWindow += this.recvUncredited;
    this.recvUncredited = 0;
  }

  /** Internal: the peer ended `stream` (END_STREAM). */
  remoteEnd(stream: H2Stream): void {
    if (stream.contentLeft)
      return this.streamError(stream.id, ErrorCode.PROTOCOL_ERROR, "a body shorter than its content-length");
    stream.remoteEnded = true;
    stream.onEnd();
    if (stream.localEnded) this.closeStream(stream.id, ErrorCode.NO_ERROR, "done");
  }

  /** A stream whose both sides ended, or that was reset: forgotten, its user told. */
  closeStream(id: number, code: number, cause: CloseCause): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    this.streams.delete(id);
    this.admission.remember(id, cause === "reset" ? "reset-sent" : "closed");
    this.sender.forget(stream);
    stream.close(code, cause);
    if ((this.goawaySent || this.goawayReceived) && this.streams.size === 0) this.end();
    else if (!this.opts.server) this.opts.onStreamSlot?.();
  }

  // StreamHost: what streams ask of their connection.
  sendHeaders(stream: H2Stream, headers: HeadersOut, endStream: boolean): void {
    this.sentSincePing = true;
    this.sender.headers(stream.id, headers, endStream);
    if (endStream && stream.remoteEnded) this.closeStream(stream.id, ErrorCode.NO_ERROR, "done");
  }
  schedule(stream: H2Stream): void {
    this.sentSincePing = true;
    this.sender.schedule(stream, () => {
      if (stream.remoteEnded) this.closeStream(stream.id, ErrorCode.NO_ERROR, "done");
    });
  }
  resetStream(stream: H2Stream, code: number): void {
    this.output.push(rstStreamFrame(stream.id, code));
    if (!this.opts.server) this.admission.cancelled(stream);
    this.closeStream(stream.id, code, "reset");
  }
  credit(stream: H2Stream, bytes: number): void {
    stream.recvWindow += bytes;
    this.output.push(windowUpdateFrame(stream.id, bytes));
  }
}
