// One HTTP/2 connection, either side (RFC 9113), for gRPC: streams, flow control both ways,
// SETTINGS, PING, GOAWAY, and header blocks bounded in size. It reads bytes from `receive` and
// writes through an Output; it never parses or checks :authority, which on a Unix socket
// means nothing (grpc-go before 1.58 sends the raw socket path there).
import { CLIENT_PREFACE, ConnectionError, DEFAULT_MAX_FRAME, DEFAULT_WINDOW, ErrorCode, F, frame, goawayFrame, MAX_WINDOW, rstStreamFrame, S, settingsFrame, T, windowUpdateFrame } from "./frames.ts";
import { HpackError, type HeaderList, type HeadersOut } from "./hpack.ts";
import { Output, type Sink } from "./output.ts";
import { Receiver, unpad, type FrameHandler } from "./receiver.ts";
import { Sender } from "./sender.ts";
import { H2Stream, type CloseCause, type StreamHost } from "./stream.ts";

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
  /** A stream the peer opened was refused here, before anyone saw it (server). */
  readonly onRefused?: (reason: string, headers: HeaderList) => void;
  /** The peer sent GOAWAY: its code, the last stream it will process, its debug text. */
  readonly onGoaway?: (code: number, lastStreamId: number, debugText: string) => void;
  /** We ended the connection with GOAWAY ENHANCE_YOUR_CALM (a flood); once, before onClose. */
  readonly onCalm?: (reason: string) => void;
  /** Client: a stream closed, or the peer raised MAX_CONCURRENT_STREAMS: a request waiting for a slot may go. */
  readonly onStreamSlot?: () => void;
}

const MAX_STREAM_ID = 2 ** 31 - 1;

/** An HTTP/2 connection over a byte stream. */
export class H2Connection implements StreamHost, FrameHandler {
  readonly streams = new Map<number, H2Stream>();
  readonly output: Output;
  private readonly sender: Sender;
  private readonly receiver: Receiver;
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE: each new stream's send window. */
  peerInitialWindow = DEFAULT_WINDOW;
  /** Our connection receive window, and bytes delivered but not yet returned to it. */
  private recvWindow = DEFAULT_WINDOW;
  private recvUncredited = 0;
  private lastPeerStream = 0;
  private nextStreamId = 1;
  peerMaxConcurrentStreams = Infinity; // the peer's SETTINGS_MAX_CONCURRENT_STREAMS (client side: queue past it)
  goawaySent = false;
  goawayReceived = false;
  closed = false;

  constructor(
    readonly sink: Sink & { end(): void },
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
    if (this.exhausted) throw new Error(this.streamIdsLeft === 0 ? "the connection has used every stream id" : "the connection is closing");
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
      if (e instanceof ConnectionError) return this.fail(e.code, e.message);
      if (e instanceof HpackError) return this.fail(ErrorCode.COMPRESSION_ERROR, e.message);
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
  destroy(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.close(ErrorCode.CANCEL, "connection-lost");
    this.streams.clear();
    this.output.discard();
    this.sink.end();
    this.opts.onClose?.(reason);
  }

  private fail(code: number, reason: string): void {
    this.output.push(goawayFrame(this.lastPeerStream, code, reason));
    this.output.flush(); // written now: destroy discards what is still queued
    this.destroy(reason);
  }

  private end(): void {
    this.output.whenWritten(() => this.sink.end()); // after the last frames (GOAWAY) are written
  }

  /** FrameHandler: frames other than DATA and header blocks. */
  control(type: number, flags: number, id: number, payload: Buffer): void {
    switch (type) {
      case T.RST_STREAM:
        if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM of the wrong size");
        return this.closeStream(id, payload.readUInt32BE(0), "reset-by-peer");
      case T.SETTINGS:
        return this.settings(flags, id, payload);
      case T.PING:
        if (payload.length !== 8 || id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "malformed PING");
        if (!(flags & F.ACK)) this.output.push(frame(T.PING, F.ACK, 0, payload));
        return;
      case T.GOAWAY:
        return this.goawayFrom(payload);
      case T.WINDOW_UPDATE:
        return this.windowUpdate(id, payload);
      case T.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE: push is disabled");
      default:
        return; // PRIORITY and unknown types are ignored
    }
  }

  /** FrameHandler: a DATA frame. */
  data(flags: number, id: number, payload: Buffer): void {
    if (payload.length > this.recvWindow) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "the peer sent past the connection window");
    this.recvWindow -= payload.length;
    const body = unpad(payload, flags);
    this.creditConnection(payload.length); // the connection's window is returned on delivery; a stream's when its user takes it
    const stream = this.streams.get(id);
    if (!stream || stream.remoteEnded) {
      if (!stream && this.isIdle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${id}`);
      this.output.push(rstStreamFrame(id, ErrorCode.STREAM_CLOSED));
      return;
    }
    if (payload.length > stream.recvWindow) return this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
    stream.recvWindow -= payload.length;
    if (body.length > 0) stream.onData(body);
    stream.consumed(payload.length);
    if (flags & F.END_STREAM) this.remoteEnd(stream);
  }

  /** FrameHandler: a whole, decoded header block. */
  headerBlock(id: number, endStream: boolean, headers: HeaderList, tooLarge: boolean): void {
    const stream = this.streams.get(id);
    if (stream) {
      if (stream.remoteEnded) return this.resetStream(stream, ErrorCode.STREAM_CLOSED);
      stream.onHeaders(headers, endStream);
      if (endStream) this.remoteEnd(stream);
      return;
    }
    if (!this.opts.server || !this.isIdle(id)) return; // a stream we already closed: its headers only kept the table in step
    if (id % 2 === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `the client opened even stream ${id}`);
    this.lastPeerStream = id;
    if (this.goawaySent) return;
    if (this.streams.size >= this.opts.maxConcurrentStreams) {
      this.output.push(rstStreamFrame(id, ErrorCode.REFUSED_STREAM));
      return this.opts.onRefused?.(`more than ${this.opts.maxConcurrentStreams} streams at once (REFUSED_STREAM)`, headers);
    }
    const s = new H2Stream(id, this, this.peerInitialWindow, this.opts.streamWindow);
    this.streams.set(id, s);
    if (endStream) s.remoteEnded = true;
    if (tooLarge) {
      this.opts.onRefused?.(`request headers over ${this.opts.maxHeaderListSize} bytes`, headers);
      // Answered as gRPC does, so the client sees why rather than a bare reset.
      s.sendHeaders([[":status", "200"], ["content-type", "application/grpc"], ["grpc-status", "8"], ["grpc-message", `request headers over ${this.opts.maxHeaderListSize} bytes`]], true);
      return;
    }
    this.opts.onStream?.(s, headers, endStream);
    if (endStream) s.onEnd();
  }

  private settings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0 || payload.length % 6 !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "malformed SETTINGS");
    if (flags & F.ACK) return;
    for (let at = 0; at < payload.length; at += 6) {
      const key = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (key === S.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE too large");
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) s.sendWindow += delta;
      } else if (key === S.MAX_CONCURRENT_STREAMS) {
        if (value > this.peerMaxConcurrentStreams) queueMicrotask(() => this.opts.onStreamSlot?.());
        this.peerMaxConcurrentStreams = value;
      } else if (key === S.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 16777215) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE out of range");
        this.sender.maxFrame = value;
      }
    }
    this.output.push(frame(T.SETTINGS, F.ACK, 0));
    this.sender.pump();
  }

  private goawayFrom(payload: Buffer): void {
    if (payload.length < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY too short");
    const last = payload.readUInt32BE(0) & 0x7fffffff;
    this.goawayReceived = true;
    this.opts.onGoaway?.(payload.readUInt32BE(4), last, payload.subarray(8, 8 + 256).toString("utf8"));
    // Streams the peer never processed are safe to send again.
    for (const s of [...this.streams.values()]) if (!this.opts.server && s.id > last) this.closeStream(s.id, ErrorCode.REFUSED_STREAM, "refused");
    if (this.streams.size === 0) this.end();
  }

  private windowUpdate(id: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      if (this.sender.window + increment > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window overflow");
      this.sender.window += increment;
    } else {
      const stream = this.streams.get(id);
      if (!stream) return;
      if (increment === 0 || stream.sendWindow + increment > MAX_WINDOW) return this.resetStream(stream, increment === 0 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FLOW_CONTROL_ERROR);
      stream.sendWindow += increment;
    }
    this.sender.pump();
  }

  private isIdle(id: number): boolean {
    return this.opts.server ? id > this.lastPeerStream : id >= this.nextStreamId;
  }

  private creditConnection(bytes: number): void {
    this.recvUncredited += bytes;
    if (this.recvUncredited < this.opts.connectionWindow / 4) return;
    this.output.push(windowUpdateFrame(0, this.recvUncredited));
    this.recvWindow += this.recvUncredited;
    this.recvUncredited = 0;
  }

  private remoteEnd(stream: H2Stream): void {
    stream.remoteEnded = true;
    stream.onEnd();
    if (stream.localEnded) this.closeStream(stream.id, ErrorCode.NO_ERROR, "done");
  }

  /** A stream whose both sides ended, or that was reset: forgotten, its user told. */
  closeStream(id: number, code: number, cause: CloseCause): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    this.streams.delete(id);
    this.sender.forget(stream);
    stream.close(code, cause);
    if ((this.goawaySent || this.goawayReceived) && this.streams.size === 0) this.end();
    else if (!this.opts.server) this.opts.onStreamSlot?.();
  }

  // StreamHost: what streams ask of their connection.
  sendHeaders(stream: H2Stream, headers: HeadersOut, endStream: boolean): void {
    this.sender.headers(stream.id, headers, endStream);
    if (endStream && stream.remoteEnded) this.closeStream(stream.id, ErrorCode.NO_ERROR, "done");
  }
  schedule(stream: H2Stream): void {
    this.sender.schedule(stream, () => {
      if (stream.remoteEnded) this.closeStream(stream.id, ErrorCode.NO_ERROR, "done");
    });
  }
  resetStream(stream: H2Stream, code: number): void {
    this.output.push(rstStreamFrame(stream.id, code));
    this.closeStream(stream.id, code, "reset");
  }
  credit(stream: H2Stream, bytes: number): void {
    stream.recvWindow += bytes;
    this.output.push(windowUpdateFrame(stream.id, bytes));
  }
}
