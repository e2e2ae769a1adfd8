// In-memory HTTP/2 streams for protocol tests without sockets: a server stream the test plays
// the client of, and a client stream the test plays the runtime of. Each records what the
// code under test did (headers, data, trailers, resets) and lets the test script the peer.
import { EventEmitter } from "node:events";
import { constants } from "node:http2";

/** A ServerHttp2Stream stand-in: the test sends the request; `sent` shows the answer. */
export class FakeServerStream extends EventEmitter {
  closed = false;
  destroyed = false;
  headersSent = false;
  rstCode: number | undefined;
  readonly sent: { headers?: Record<string, unknown>; data: Buffer[]; trailers?: Record<string, unknown>; ended: boolean } = { data: [], ended: false };
  /** When false, writes are never taken (a client that stopped reading). */
  reading = true;
  private wantTrailers = false;

  respond(headers: Record<string, unknown>, opts: { waitForTrailers?: boolean; endStream?: boolean } = {}): void {
    this.headersSent = true;
    this.sent.headers = headers;
    this.wantTrailers = !!opts.waitForTrailers;
    if (opts.endStream) this.finish();
  }
  write(b: Uint8Array, cb?: (e?: Error | null) => void): boolean {
    this.sent.data.push(Buffer.from(b));
    if (this.reading) queueMicrotask(() => cb?.());
    return this.reading;
  }
  end(b?: Uint8Array): void {
    if (b) this.sent.data.push(Buffer.from(b));
    this.sent.ended = true;
    if (this.wantTrailers) queueMicrotask(() => this.emit("wantTrailers"));
    else this.finish();
  }
  sendTrailers(t: Record<string, unknown>): void {
    this.sent.trailers = t;
    this.finish();
  }
  close(code: number = constants.NGHTTP2_NO_ERROR): void {
    this.rstCode = code;
    this.finish();
  }
  destroy(): void {
    this.destroyed = true;
    this.finish();
  }
  /** The client sends its request body (framed by the caller) and ends its side. */
  request(body: Buffer, end = true): void {
    this.emit("data", body);
    if (end) this.emit("end");
  }
  /** The client hangs up. */
  hangUp(): void {
    this.finish();
  }
  /** The whole answer body. */
  get body(): Buffer {
    return Buffer.concat(this.sent.data);
  }
  /** The grpc-status the answer carries (trailers, or trailers-only headers). */
  get status(): string | undefined {
    return (this.sent.trailers?.["grpc-status"] ?? this.sent.headers?.["grpc-status"]) as string | undefined;
  }
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.emit("close"));
  }
}

/** A ClientHttp2Stream stand-in: the test answers as the runtime. */
export class FakeClientStream extends EventEmitter {
  rstCode: number | undefined;
  closed = false;
  session = { destroyed: false, closed: false };
  /** What the code under test sent: the request body, and whether it canceled. */
  readonly request: Buffer[] = [];
  canceled = false;
  paused = false;

  end(b?: Uint8Array): void {
    if (b) this.request.push(Buffer.from(b));
  }
  close(code: number = constants.NGHTTP2_NO_ERROR): void {
    if (code === constants.NGHTTP2_CANCEL) this.canceled = true;
    this.reset(code);
  }
  destroy(e?: Error): void {
    if (e) this.emit("error", e);
    this.reset(constants.NGHTTP2_CANCEL);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  /** The runtime answers headers (with grpc-status for trailers-only). */
  headers(h: Record<string, unknown> = { ":status": 200, "content-type": "application/grpc" }): void {
    this.emit("response", h);
  }
  data(b: Buffer): void {
    this.emit("data", b);
  }
  trailers(t: Record<string, unknown> = { "grpc-status": "0" }): void {
    this.emit("trailers", t);
    this.reset(constants.NGHTTP2_NO_ERROR);
  }
  /** The runtime (or the connection) ends the stream with `code`. */
  reset(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.rstCode = code;
    queueMicrotask(() => this.emit("close"));
  }
}

/** A runtime connection whose streams the test scripts, one per call, in order. */
export function scriptedTarget(label: string, script: ((s: FakeClientStream) => void)[]) {
  const opened: FakeClientStream[] = [];
  const failures: string[] = [];
  return {
    label,
    opened,
    failures,
    failed: (e: { message: string }) => void failures.push(e.message),
    sessions: {
      notifyResponseByteRead: () => {},
      request: async () => {
        const s = new FakeClientStream();
        opened.push(s);
        const play = script[opened.length - 1];
        if (!play) throw new Error(`call ${opened.length} was not scripted`);
        setTimeout(() => play(s), 1); // after the caller has attached its listeners
        return s as never;
      },
    },
  };
}

/** A gRPC frame: flag byte, big-endian length, message. */
export function frame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}
