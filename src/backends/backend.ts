// One runtime behind the proxy: its HTTP/2 connection (src/h2), its state, the background probe.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Fields } from "../grpc/status.ts";
import { transportError } from "../grpc/transport-error.ts";
import type { H2Stream } from "../h2/stream.ts";
import { unaryRaw, type CallTarget } from "./raw-call.ts";
import { RuntimeConnection, type RuntimeConnectionOptions, type Wait } from "./runtime-connection.ts";

export type BackendState = "connecting" | "ready" | "down";

/** The CRI API a runtime speaks (the same union as core/api-version.ts CriApi; backends does not import core). */
export type BackendApi = "v1" | "v1alpha2";

export interface BackendOptions {
  /** "" for the primary, else the name routing uses (`vm` in `vm__id`). */
  readonly name: string;
  /** The socket path (from a path or a `unix://` URL). */
  readonly socket: string;
  /** How long a call waits for this backend when it is not ready. */
  readonly connectTimeoutMs: number;
  /** Called on every state change (logging, metrics, stale-list bookkeeping). */
  readonly onState?: (backend: Backend, previous: BackendState) => void;
  /** Force this API instead of probing v1, then v1alpha2. */
  readonly api?: BackendApi;
  /** Tests: how many stream ids left start a new connection. */
  readonly idsReserve?: RuntimeConnectionOptions["idsReserve"];
}

/** A line worth logging about a runtime's connection (its GOAWAY, a failure, a replacement). */
export type BackendEvent = (backend: Backend, severity: "W" | "I", message: string) => void;

/**
 * VersionRequest{version: api}, encoded by hand (field 1, a string): the probe needs no
 * generated descriptors, so runtimes are probed while the socket binds, before they load.
 */
function versionRequest(api: string): Uint8Array {
  return Uint8Array.of(0x0a, api.length, ...Buffer.from(api));
}

/**
 * HTTP/2 settings towards a runtime. A stream's window is what a runtime may send ahead of a
 * kubelet that reads slowly (its answer is held back past that, RawAnswer); windows return as
 * bytes arrive, so a 16 MiB answer still flows without waiting on a Unix socket.
 */
const H2_SETTINGS = {
  streamWindow: 256 * 1024,
  connectionWindow: 32 * 1024 * 1024,
  maxHeaderListSize: 64 * 1024,
  maxConcurrentStreams: 0,
};
const PROBE_TIMEOUT_MS = 5000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

/** A runtime endpoint with a lazily (re)made HTTP/2 connection and a ready/down state. */
export class Backend implements CallTarget {
  readonly name: string;
  readonly socket: string;
  /** How logs and errors name it: `primary` or the backend's name. */
  readonly label: string;
  state: BackendState = "connecting";
  /** Its last Version answer, as the bytes it sent (decoded only by whoever wants it). */
  version: Uint8Array | undefined;
  /** The API this connection speaks: probed when it connects (again on every reconnect), or forced; undefined until known. */
  api: BackendApi | undefined;
  lastError: ConnectError | undefined;
  /** True once the backend has answered at least once since the proxy started. */
  seen = false;
  private readonly link: RuntimeConnection;
  private readonly watchers = new Set<BackendEvent>();
  private waiters = new Set<() => void>();
  private listeners = new Set<(b: Backend, previous: BackendState) => void>();
  private wake: (() => void) | undefined;
  private closed = false;
  private started = false;

  constructor(private readonly opts: BackendOptions) {
    this.name = opts.name;
    this.socket = opts.socket;
    this.label = opts.name === "" ? "primary" : opts.name;
    this.api = opts.api;
    this.link = new RuntimeConnection({
      socket: opts.socket,
      label: this.label,
      settings: H2_SETTINGS,
      idsReserve: opts.idsReserve,
      onLost: (reason) => this.lost(reason),
      onEvent: (severity, message) => {
        for (const w of [...this.watchers]) w(this, severity, message);
      },
    });
  }

  /** Calls `watcher` with each connection event (GOAWAY, failure, replacement) until the returned function is called. */
  watch(watcher: BackendEvent): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Calls waiting for a stream (the runtime's MAX_CONCURRENT_STREAMS is reached). */
  get queued(): number {
    return this.link.queued;
  }

  /** The API the configuration forces, if any. */
  get forcedApi(): BackendApi | undefined {
    return this.opts.api;
  }

  /** Starts probing in the background (once; later calls do nothing); returns at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.probeLoop();
  }

  /** How long a call waits for this runtime when it is not ready. */
  get connectTimeoutMs(): number {
    return this.opts.connectTimeoutMs;
  }

  /** A stream on the runtime's connection, made if there is none; waits for a slot under its MAX_CONCURRENT_STREAMS (CallTarget). */
  open(headers: () => Fields, wait?: Wait): H2Stream | Promise<H2Stream> {
    return this.link.open(headers, wait);
  }

  /** The runtime refused a stream unprocessed: the next one waits for a slot (CallTarget). */
  refused(): void {
    this.link.refused();
  }

  /** Resolves when ready; rejects `Unavailable` naming the runtime after `waitMs`. */
  ready(waitMs: number): Promise<void> {
    if (this.state === "ready") return Promise.resolve();
    if (this.closed) return Promise.reject(this.unavailable("it is being removed"));
    this.kick();
    if (waitMs <= 0) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(this.unavailable());
      }, waitMs);
      this.waiters.add(done);
    });
  }

  /** Calls `listener` on every state change until the returned function is called. */
  subscribe(listener: (b: Backend, previous: BackendState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Reports a transport failure seen by a call. A runtime's health is its connection's: one
   * failed stream (a reset, a stall cut off) leaves a ready runtime ready; a lost connection does not.
   */
  failed(error: ConnectError): void {
    if (this.closed || error.code !== Code.Unavailable) return;
    if (this.state === "ready" && this.link.current && !this.link.current.closed) return;
    this.lastError = error;
    if (this.state === "ready") this.setState("connecting");
    this.kick();
  }

  /** Stops probing and closes the connection (in-flight calls are cut). */
  close(): void {
    this.closed = true;
    this.kick();
    this.link.close("the runtime is being removed");
  }

  private lost(reason: string | undefined): void {
    if (this.closed || this.state !== "ready") return;
    this.lastError = new ConnectError(
      `runtime ${this.label} is unavailable: its connection closed${reason ? `: ${reason}` : ""}`,
      Code.Unavailable,
    );
    this.setState("connecting");
    this.kick();
  }

  private unavailable(why?: string): ConnectError {
    const last = this.lastError?.rawMessage.replace(/^runtime \S+ is unavailable: /, "");
    const reason = why ?? last ?? "not connected yet";
    return new ConnectError(
      `runtime ${this.label} (unix://${this.socket}) is unavailable: ${reason}`,
      Code.Unavailable,
    );
  }

  private kick(): void {
    this.wake?.();
  }

  /**
   * Asks Version in each API the runtime may speak: v1, then v1alpha2 when v1 is Unimplemented
   * (a runtime built before 2022), or only the forced one. Resolves with the API that answered.
   */
  private async probe(): Promise<BackendApi> {
    const timeout = Math.min(PROBE_TIMEOUT_MS, this.opts.connectTimeoutMs * 4 || PROBE_TIMEOUT_MS);
    const order: BackendApi[] = this.opts.api ? [this.opts.api] : ["v1", "v1alpha2"];
    for (const [i, api] of order.entries()) {
      try {
        const answer = await unaryRaw(this, `/runtime.${api}.RuntimeService/Version`, versionRequest(api), {
          deadline: Date.now() + timeout,
        });
        this.version = await answer.message();
        return api;
      } catch (e) {
        if (i < order.length - 1 && ConnectError.from(e).code === Code.Unimplemented) continue;
        throw e;
      }
    }
    throw new Error("unreachable: no API to probe");
  }

  private async probeLoop(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!this.closed) {
      if (this.state !== "ready") {
        try {
          const api = await this.probe();
          if (this.closed) return;
          this.api = api;
          this.lastError = undefined;
          this.seen = true;
          backoff = BACKOFF_MIN_MS;
          this.setState("ready");
        } catch (e) {
          if (this.closed) return;
          const err = transportError(e, this.label);
          // A runtime that answers Version with a status is there; only transport failures mean down.
          if (err.code !== Code.Unavailable && err.code !== Code.DeadlineExceeded) {
            this.api = this.opts.api ?? "v1"; // answers Version in no API: treated as the API kubelet speaks
            this.lastError = undefined;
            this.seen = true;
            this.setState("ready");
          } else {
            this.lastError = err;
            this.link.drop(err.message);
            this.setState("down");
          }
        }
      }
      // Sleep until kicked (a failed call, a waiting call, close) or the backoff ends; while
      // calls wait for this runtime, retry at the shortest interval so they get it at once.
      await new Promise<void>((resolve) => {
        const timer =
          this.state === "ready" ? undefined : setTimeout(resolve, this.waiters.size > 0 ? BACKOFF_MIN_MS : backoff);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
      if (this.state !== "ready") backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }

  private setState(next: BackendState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    if (next === "ready") for (const w of [...this.waiters]) w();
    this.opts.onState?.(this, previous);
    for (const l of [...this.listeners]) l(this, previous);
  }
}
