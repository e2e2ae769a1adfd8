// A runtime's HTTP/2 connection as calls use it: made on demand (one at a time), its streams
// kept within the runtime's MAX_CONCURRENT_STREAMS (calls past it wait their turn, first come
// first served, instead of being refused), replaced before its stream ids run out (the old one
// drains), and what the runtime says when it goes away (GOAWAY code and text) told to the log.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Fields } from "../grpc/status.ts";
import type { H2Connection } from "../h2/connection.ts";
import { connectH2, type H2Settings } from "../h2/endpoint.ts";
import { ErrorCode, errorName } from "../h2/frames.ts";
import type { H2Stream } from "../h2/stream.ts";

/** What a call waiting for a stream brings: when it stops waiting. */
export interface Wait {
  /** Absolute deadline (epoch ms). */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

export interface RuntimeConnectionOptions {
  readonly socket: string;
  /** `primary` or the runtime's name, in errors and log lines. */
  readonly label: string;
  readonly settings: Omit<H2Settings, "onClose">;
  /** The current connection ended (a retired one's end is not the runtime's); `reason` when it failed. */
  readonly onLost: (reason: string | undefined) => void;
  /** A line worth logging about the connection ("W" or "I"). */
  readonly onEvent: (severity: "W" | "I", message: string) => void;
  /** A new connection is made when the current one has this few stream ids left (of 2^30). */
  readonly idsReserve?: number;
}

/** Calls past this many waiting for a stream are refused (kubelet never has nearly as many at once). */
const MAX_WAITING = 4096;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long the first connection after a flood is held back; it doubles per flood in a row, up to the max. */
const CALM_HOLD_MS = 1000;
const CALM_HOLD_MAX_MS = 30_000;

interface Waiter {
  readonly headers: () => Fields;
  resolve(stream: H2Stream): void;
  reject(error: unknown): void;
}

export class RuntimeConnection {
  private conn: H2Connection | undefined;
  /** Replaced connections still draining their calls. */
  private readonly retired = new Set<H2Connection>();
  private connecting: Promise<H2Connection> | undefined;
  private readonly waiting: Waiter[] = [];
  /** The runtime refused a stream below its MAX_CONCURRENT_STREAMS: new streams wait until one of its open ones ends. */
  private full = false;
  private closed = false;
  /**
   * Connections in a row the h2 layer closed for a flood (GOAWAY ENHANCE_YOUR_CALM): each holds
   * the next one back longer (1 s, doubling, at most 30 s), so a runtime that floods every
   * connection it gets (answering the probe first) cannot make criproxy reconnect in a loop.
   */
  private strikes = 0;
  private holdUntil = 0;
  /** A connection ended here on purpose (the probe gave up on it): its end is not logged. */
  private dropped: H2Connection | undefined;

  constructor(private readonly opts: RuntimeConnectionOptions) {}

  /** The connection calls go to now, if any. */
  get current(): H2Connection | undefined {
    return this.conn;
  }

  /** Calls waiting for a stream. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * The runtime refused a stream (REFUSED_STREAM) with others open: it is full below the limit
   * it advertised, so the call is sent again only once one of them ends.
   */
  refused(): void {
    if (this.conn && this.conn.active > 0) this.full = true;
  }

  /** A stream with these request headers: at once when connected with a slot free, else when one is. */
  open(headers: () => Fields, wait: Wait = {}): H2Stream | Promise<H2Stream> {
    const c = this.usable();
    if (c && this.waiting.length === 0 && this.room(c)) return c.request(headers());
    return this.enqueue(headers, wait);
  }

  /** Ends the current connection (the runtime stopped answering); calls on it fail with `why`. */
  drop(why: string): void {
    this.dropped = this.conn;
    this.conn?.destroy(why);
  }

  /** Closes every connection; waiting calls fail with `why`. */
  close(why: string): void {
    this.closed = true;
    const e = new ConnectError(`runtime ${this.opts.label} is unavailable: ${why}`, Code.Unavailable);
    for (const w of this.waiting.splice(0)) w.reject(e);
    this.conn?.destroy(why);
    for (const c of this.retired) c.destroy(why);
  }

  private room(c: H2Connection): boolean {
    return !this.full && c.active < c.peerMaxConcurrentStreams;
  }

  /** The current connection if it may take a stream; starts its replacement when its ids run low. */
  private usable(): H2Connection | undefined {
    const c = this.conn;
    if (!c || c.exhausted) return undefined;
    const left = c.streamIdsLeft;
    if (left <= (this.opts.idsReserve ?? 1024) && !this.connecting) {
      this.opts.onEvent(
        "I",
        `a new connection before the stream ids run out (${left} left); the old one drains its ${c.active} calls`,
      );
      void this.connect().then(
        () => this.pump(),
        () => {},
      ); // a failure shows when the old one is spent
    }
    return left > 0 ? c : undefined;
  }

  private enqueue(headers: () => Fields, wait: Wait): Promise<H2Stream> {
    if (this.closed)
      return Promise.reject(
        new ConnectError(`runtime ${this.opts.label} is unavailable: it is being removed`, Code.Unavailable),
      );
    if (this.waiting.length >= MAX_WAITING) {
      return Promise.reject(
        new ConnectError(
          `runtime ${this.opts.label} is unavailable: ${MAX_WAITING} calls already wait for a stream`,
          Code.Unavailable,
        ),
      );
    }
    return new Promise<H2Stream>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        wait.signal?.removeEventListener("abort", onAbort);
      };
      const w: Waiter = { headers, resolve: (s) => (done(), resolve(s)), reject: (e) => (done(), reject(e)) };
      const leave = (e: ConnectError) => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1), w.reject(e);
      };
      const onAbort = () => leave(new ConnectError(`call to runtime ${this.opts.label} canceled`, Code.Canceled));
      if (wait.signal?.aborted)
        return reject(new ConnectError(`call to runtime ${this.opts.label} canceled`, Code.Canceled));
      const left = wait.deadline === undefined ? Infinity : wait.deadline - Date.now();
      if (left < MAX_TIMER_MS) {
        timer = setTimeout(
          () => {
            const limit = this.conn?.peerMaxConcurrentStreams ?? Infinity;
            leave(
              new ConnectError(
                `deadline exceeded waiting for a stream on runtime ${this.opts.label}${limit < Infinity ? ` (it takes ${limit} at once)` : ""}`,
                Code.DeadlineExceeded,
              ),
            );
          },
          Math.max(0, left),
        );
      }
      wait.signal?.addEventListener("abort", onAbort);
      this.waiting.push(w);
      this.pump();
    });
  }

  /** Gives waiting calls their streams, in order, while the connection has room. */
  private pump(): void {
    while (this.waiting.length > 0 && !this.closed) {
      const c = this.usable();
      if (!c) {
        this.connect().then(
          () => this.pump(),
          (e) => {
            for (const w of this.waiting.splice(0)) w.reject(e);
          },
        );
        return;
      }
      if (!this.room(c)) return;
      const w = this.waiting.shift()!;
      try {
        w.resolve(c.request(w.headers()));
      } catch (e) {
        w.reject(e);
      }
    }
  }

  private connect(): Promise<H2Connection> {
    if (this.closed)
      return Promise.reject(
        new ConnectError(`runtime ${this.opts.label} is unavailable: it is being removed`, Code.Unavailable),
      );
    let mine: H2Connection | undefined;
    let calm = false;
    const hold = this.holdUntil - Date.now();
    this.connecting ??= (hold > 0 ? new Promise((r) => setTimeout(r, hold)) : Promise.resolve())
      .then(() =>
        connectH2(this.opts.socket, {
          ...this.opts.settings,
          // The connection's end is noticed at once, even with no call running, so lists stop
          // asking a vanished runtime and its last-known answers take over.
          onClose: (reason) => this.ended(mine, reason, calm),
          onGoaway: (code, last, debug) => {
            const text = debug ? `: ${JSON.stringify(debug)}` : "";
            this.opts.onEvent(
              code === ErrorCode.NO_ERROR ? "I" : "W",
              `sent GOAWAY ${errorName(code)} (last stream ${last})${text}`,
            );
          },
          // Told once by the h2 layer, which then closes the connection: its end is not told again.
          onCalm: (reason) => {
            calm = true;
            const wait = Math.min(CALM_HOLD_MS * 2 ** this.strikes++, CALM_HOLD_MAX_MS);
            this.holdUntil = Date.now() + wait;
            this.opts.onEvent("W", `it broke the flood limits: ${reason}; the next connection in ${wait} ms`);
          },
          onStreamSlot: () => {
            if (mine === this.conn) this.full = false;
            this.pump();
          },
        }),
      )
      .then((c) => {
        const old = this.conn;
        this.conn = mine = c;
        this.full = false;
        if (this.closed) c.destroy("the runtime is being removed");
        // A connection replaced before its ids ran out takes no new stream and ends after its last.
        if (old && !old.closed) this.retired.add(old), old.goaway();
        return c;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private ended(conn: H2Connection | undefined, reason: string | undefined, told: boolean): void {
    // A connection the runtime sent GOAWAY on (or one replaced) ends after its last call, when a
    // newer one may already be serving: only the current connection's end is the runtime's.
    if (!told) this.strikes = 0;
    if (reason && !told && !this.closed && conn !== this.dropped)
      this.opts.onEvent("W", `connection closed: ${reason}`);
    if (conn) this.retired.delete(conn);
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.opts.onLost(reason);
    if (this.waiting.length > 0) this.pump();
  }
}
