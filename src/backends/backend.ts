// One runtime behind the proxy: its HTTP/2 session, its state, the background probe.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { connect as netConnect } from "node:net";
import { RuntimeService, VersionResponseSchema, type VersionResponse } from "../gen/runtime/v1/api_pb.ts";
import { RuntimeService as AlphaRuntimeService } from "../gen/runtime/v1alpha2/api_pb.ts";
import { MAX_MESSAGE_BYTES } from "../grpc/envelope.ts";
import { SESSION_MEMORY_MB } from "../grpc/http2-limits.ts";
import { transportError } from "../grpc/transport-error.ts";

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
  /** The API to speak without probing the other one; undefined: probe v1, then v1alpha2 on Unimplemented. */
  readonly api?: BackendApi;
  /** Called on every state change (logging, metrics, stale-list bookkeeping). */
  readonly onState?: (backend: Backend, previous: BackendState) => void;
}

const PROBE_TIMEOUT_MS = 5000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;
const WATCH_MS = 1000;

/** A runtime endpoint with a lazily (re)connected HTTP/2 session and a ready/down state. */
export class Backend {
  readonly name: string;
  readonly socket: string;
  /** How logs and errors name it: `primary` or the backend's name. */
  readonly label: string;
  readonly sessions: Http2SessionManager;
  state: BackendState = "connecting";
  version: VersionResponse | undefined;
  /** The API this connection speaks: probed when it connects (again on every reconnect), or forced; undefined until known. */
  api: BackendApi | undefined;
  lastError: ConnectError | undefined;
  /** True once the backend has answered at least once since the proxy started. */
  seen = false;
  private readonly clients;
  private waiters = new Set<() => void>();
  private listeners = new Set<(b: Backend, previous: BackendState) => void>();
  private wake: (() => void) | undefined;
  private closed = false;
  private watchTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly opts: BackendOptions) {
    this.name = opts.name;
    this.socket = opts.socket;
    this.label = opts.name === "" ? "primary" : opts.name;
    this.sessions = new Http2SessionManager(
      "http://localhost",
      { idleConnectionTimeoutMs: Number.POSITIVE_INFINITY, connectTimeoutMs: opts.connectTimeoutMs },
      {
        createConnection: () => netConnect(this.socket),
        maxSessionMemory: SESSION_MEMORY_MB,
        settings: { initialWindowSize: 4 * 1024 * 1024 },
      },
    );
    const transport: Transport = createGrpcTransport({ baseUrl: "http://localhost", sessionManager: this.sessions, readMaxBytes: MAX_MESSAGE_BYTES });
    this.clients = { v1: createClient(RuntimeService, transport), v1alpha2: createClient(AlphaRuntimeService, transport) };
    this.api = opts.api;
  }

  /** The API the configuration forces, if any. */
  get forcedApi(): BackendApi | undefined {
    return this.opts.api;
  }

  /**
   * Asks Version in each API the runtime may speak: v1, then v1alpha2 when v1 is Unimplemented
   * (a runtime built before 2022), or only the forced one. Resolves with the API that answered.
   */
  private async probe(timeoutMs: number): Promise<BackendApi> {
    const order: BackendApi[] = this.opts.api ? [this.opts.api] : ["v1", "v1alpha2"];
    for (const [i, api] of order.entries()) {
      try {
        const v = await this.clients[api].version({}, { timeoutMs });
        // The two versions' VersionResponse have the same fields.
        this.version = create(VersionResponseSchema, { version: v.version, runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion, runtimeApiVersion: v.runtimeApiVersion });
        return api;
      } catch (e) {
        if (i < order.length - 1 && ConnectError.from(e).code === Code.Unimplemented) continue;
        throw e;
      }
    }
    throw new Error("unreachable: no API to probe");
  }

  /** Starts probing in the background; returns at once. */
  start(): void {
    void this.probeLoop();
    this.watchTimer = setInterval(() => this.watch(), WATCH_MS);
    this.watchTimer.unref?.();
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
   * failed stream (a reset, a stall cut off) leaves a ready runtime ready; a lost session does not.
   */
  failed(error: ConnectError): void {
    if (this.closed || error.code !== Code.Unavailable) return;
    const session = this.sessions.state();
    if (this.state === "ready" && (session === "open" || session === "idle" || session === "verifying")) return;
    this.lastError = error;
    if (this.state === "ready") this.setState("connecting");
    this.kick();
  }

  /** Stops probing and closes the session (in-flight calls are cut). */
  close(): void {
    this.closed = true;
    clearInterval(this.watchTimer);
    this.kick();
    this.sessions.abort();
  }

  private unavailable(why?: string): ConnectError {
    const last = this.lastError?.rawMessage.replace(/^runtime \S+ is unavailable: /, "");
    const reason = why ?? last ?? "not connected yet";
    return new ConnectError(`runtime ${this.label} (unix://${this.socket}) is unavailable: ${reason}`, Code.Unavailable);
  }

  private kick(): void {
    this.wake?.();
  }

  // A dropped session is noticed within a second even when no call is running,
  // so lists stop asking a vanished runtime and its memory takes over.
  private watch(): void {
    if (this.state !== "ready") return;
    const s = this.sessions.state();
    if (s === "closed" || s === "error") {
      this.setState("connecting");
      this.kick();
    }
  }

  private async probeLoop(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!this.closed) {
      if (this.state !== "ready") {
        try {
          const api = await this.probe(Math.min(PROBE_TIMEOUT_MS, this.opts.connectTimeoutMs * 4 || PROBE_TIMEOUT_MS));
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
            this.sessions.abort(err);
            this.setState("down");
          }
        }
      }
      // Sleep until kicked (a failed call, a waiting call, close) or the backoff ends; while
      // calls wait for this runtime, retry at the shortest interval so they get it at once.
      await new Promise<void>((resolve) => {
        const timer = this.state === "ready" ? undefined : setTimeout(resolve, this.waiters.size > 0 ? BACKOFF_MIN_MS : backoff);
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
