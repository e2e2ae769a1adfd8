// The runtimes behind the proxy, as they outlive reloads: their connections, their
// last-known lists, the RuntimeClass handlers they report (asked once when a runtime becomes
// ready), which named runtime runs each pod (listed when a runtime becomes ready), where bare
// image names were just resolved, and kubelet's last UpdateRuntimeConfig, which every runtime
// that becomes ready gets (kubelet sends it essentially once, at start; a runtime added by
// SIGHUP, or one that restarts, must still learn the pod CIDR).
import { fromBinary } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { Backend, type BackendApi, type BackendState } from "../backends/backend.ts";
import { unaryRaw } from "../backends/raw-call.ts";
import { pathOn } from "../core/api-version.ts";
import type { BreakerTimings } from "../core/breaker-policy.ts";
import { replaysConfig } from "../core/fan-out-policy.ts";
import { ListPodSandboxResponseSchema, RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import type { Logger } from "../log/logger.ts";
import { apiOf } from "./api-target.ts";
import type { DegradedParts, RuntimeDegradation } from "./degraded-parts.ts";
import { HandlerReports } from "./handler-reports.ts";
import { ImageLookups } from "./image-lookups.ts";
import { LastKnown } from "./last-known.ts";
import { PodPlacements } from "./pod-placements.ts";
import type { RuntimeBreaker } from "./runtime-breaker.ts";
import { askHandlers, replayConfig } from "./ready-runtime-calls.ts";
import { RuntimeBreakers } from "./runtime-breakers.ts";

/** One configured runtime: "" names the primary. */
export interface RuntimeSpec {
  readonly name: string;
  readonly socket: string;
  /** The CRI API to speak without probing; undefined: probed. */
  readonly api?: BackendApi;
}

/** How long the ListPodSandbox for the pod placements may take. */
const LIST_PODS_TIMEOUT_MS = 1000;
/** ListPodSandbox, v1 path: a named runtime's pods, for the pod placements. */
const LIST_PODS_PATH = `/${RuntimeService.typeName}/${RuntimeService.method.listPodSandbox.name}`;

/** The configured runtimes, primary first, and what the proxy remembers of them. */
export class RuntimeSet {
  readonly lastKnown = new LastKnown();
  /** Status.runtime_handlers of each runtime, for the routing table's discovered part. */
  readonly handlers = new HandlerReports();
  /** Which named runtime runs each pod. */
  readonly placements = new PodPlacements();
  /** Where bare image names were just resolved for pods. */
  readonly lookups = new ImageLookups();
  /** Listings of a named runtime's pods in flight, and who waits for them. */
  private readonly listings = new Map<Backend, Promise<void>>();
  /** Each named runtime's breaker and degraded answers: an open breaker outlives a reload that keeps the runtime. */
  readonly breakers: RuntimeBreakers;
  private active: Backend[] = [];
  /** Removed by a reload, still finishing their calls. */
  private readonly draining = new Set<Backend>();
  private connectTimeoutMs = 0;
  private lastConfig: { path: string; request: Buffer } | undefined;

  /** Runtimes started before this set existed (the daemon probes while its socket binds), adopted by the first configure. */
  private spare: Backend[];

  constructor(
    private readonly log: Logger,
    /** Called once for each new connection (metrics follow its state). */
    private readonly onCreated: (b: Backend) => void = () => {},
    early: readonly Backend[] = [],
  ) {
    this.spare = [...early];
    this.breakers = new RuntimeBreakers(log);
  }

  /** The breaker of the runtime named `name` (created closed). */
  breaker(name: string): RuntimeBreaker {
    return this.breakers.of(name);
  }

  /** Parts served from memory or left out, per runtime. */
  get degraded(): DegradedParts {
    return this.breakers.degraded;
  }

  /** Each named runtime's breaker and degraded answers, for metrics. */
  degradation(): RuntimeDegradation[] {
    return this.breakers.degradation(this.active.slice(1));
  }

  /** The runtimes of the running configuration, primary first. */
  get backends(): readonly Backend[] {
    return this.active;
  }

  /**
   * Makes `specs` the configured runtimes: an unchanged runtime keeps its connection, a new
   * or moved one gets a new connection (started), and the ones no longer configured are
   * returned, still open: their calls drain before `retire` closes them.
   */
  configure(
    specs: readonly RuntimeSpec[],
    connectTimeoutMs: number,
    timings?: BreakerTimings,
  ): { added: Backend[]; removed: Backend[] } {
    if (timings) this.breakers.configure(timings);
    const same = connectTimeoutMs === this.connectTimeoutMs;
    const old = new Map(this.active.map((b) => [b.name, b]));
    const next = specs.map((s) => {
      const have = old.get(s.name);
      return have && same && have.socket === s.socket && have.forcedApi === s.api
        ? have
        : this.create(s, connectTimeoutMs);
    });
    const removed = this.active.filter((b) => !next.includes(b));
    const added = next.filter((b) => !this.active.includes(b));
    this.active = next;
    this.connectTimeoutMs = connectTimeoutMs;
    // Memory of a runtime no longer configured must not stand in for it (a new one of that name starts clean).
    for (const b of removed) {
      if (next.some((n) => n.name === b.name)) continue;
      this.lastKnown.drop(b.name);
      this.breakers.drop(b.name, b.label);
    }
    this.handlers.keepOnly(new Set(next.map((b) => b.name)));
    this.placements.setOrder(next.slice(1).map((b) => b.name));
    for (const b of removed) if (!next.some((n) => n.name === b.name)) this.placements.drop(b.name);
    for (const b of added) b.start();
    for (const b of removed) this.draining.add(b);
    return { added, removed };
  }

  /**
   * Resolves once every named runtime that is not down has had its pods listed since it became
   * ready, or after `ms`: right after a restart, a pod's pull must not go to the primary only
   * because its runtime's pods are not known yet.
   */
  async podsKnown(ms: number): Promise<void> {
    const waits = this.unlisted();
    if (waits.length === 0) return;
    // A listing that failed (a slow or stalled runtime) is tried again when an image call needs it.
    for (const b of waits) if (b.state === "ready" && !this.listings.has(b)) this.listPods(b);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    const listed = Promise.all(
      waits.map(
        (b) =>
          this.listings.get(b) ??
          b.ready(ms).then(
            () => this.listings.get(b),
            () => undefined,
          ),
      ),
    );
    await Promise.race([listed, limit]);
    clearTimeout(timer);
  }

  /** Whether a named runtime that is not down has not had its pods listed yet (podsKnown would wait). */
  podsUnknown(): boolean {
    return this.unlisted().length > 0;
  }

  private unlisted(): Backend[] {
    return this.active.slice(1).filter((b) => b.state !== "down" && !this.placements.isListed(b.name));
  }

  /** Closes runtimes a reload removed, once their calls have drained. */
  retire(removed: readonly Backend[]): void {
    for (const b of removed) {
      b.close();
      this.draining.delete(b);
    }
  }

  /** Remembers kubelet's UpdateRuntimeConfig: every runtime that becomes ready from now on gets it. */
  rememberConfig(path: string, request: Buffer): void {
    this.lastConfig = { path, request };
  }

  /** Closes every connection (shutdown). */
  close(): void {
    for (const b of [...this.active, ...this.draining, ...this.spare]) b.close();
    this.breakers.close();
  }

  private create(spec: RuntimeSpec, connectTimeoutMs: number): Backend {
    const i = this.spare.findIndex(
      (b) =>
        b.name === spec.name &&
        b.socket === spec.socket &&
        b.forcedApi === spec.api &&
        b.connectTimeoutMs === connectTimeoutMs,
    );
    if (i >= 0) {
      const [b] = this.spare.splice(i, 1);
      b.subscribe((backend, previous) => this.stateChanged(backend, previous));
      b.watch(this.connectionEvent);
      if (b.state !== "connecting") this.stateChanged(b, "connecting"); // what it did before we listened
      return b;
    }
    const b = new Backend({
      name: spec.name,
      socket: spec.socket,
      connectTimeoutMs,
      api: spec.api,
      onState: (b, previous) => this.stateChanged(b, previous),
    });
    b.watch(this.connectionEvent);
    this.onCreated(b);
    return b;
  }

  /** A runtime's GOAWAY (code and text), a connection failure (an ENHANCE_YOUR_CALM included), a replacement: one line each. */
  private readonly connectionEvent = (b: Backend, severity: "W" | "I", message: string): void => {
    this.log.log(
      severity === "W" ? 0 : 1,
      severity,
      "backend.ts",
      `runtime ${b.label} (unix://${b.socket}): ${message}`,
    );
  };

  private stateChanged(b: Backend, previous: BackendState): void {
    const why =
      b.state === "down" && b.lastError
        ? `: ${b.lastError.rawMessage}`
        : b.state === "ready"
          ? ` (CRI ${b.api}${b.forcedApi ? ", as configured" : ""})`
          : "";
    this.log.log(
      b.state === "down" ? 0 : 1,
      b.state === "down" ? "W" : "I",
      "backend.ts",
      `runtime ${b.label} (unix://${b.socket}): ${previous} -> ${b.state}${why}`,
    );
    if (b.state === "ready" && previous !== "ready") {
      this.askHandlers(b);
      if (b.name !== "") this.listPods(b);
      // A new connection starts with a clean slate: what stalled was the old one.
      this.breakers.reset(b.name);
    }
    if (replaysConfig(previous, b.state, this.lastConfig !== undefined)) replayConfig(b, this.lastConfig!, this.log);
  }

  // A named runtime that becomes ready is asked its pods: where they run is its word, not ours.
  private listPods(b: Backend): void {
    // Short: a runtime that stalls must not hold a stream for long; image calls try again.
    const listing = unaryRaw(b, pathOn(apiOf(b), LIST_PODS_PATH) ?? LIST_PODS_PATH, new Uint8Array(0), {
      deadline: Date.now() + LIST_PODS_TIMEOUT_MS,
    })
      .then((answer) => answer.message())
      .then(
        (list) => {
          if (!this.active.includes(b)) return; // removed meanwhile
          const items = fromBinary(ListPodSandboxResponseSchema, list).items;
          this.placements.replace(b.name, items);
          this.log.log(2, "I", "runtime-set.ts", `runtime ${b.label} runs ${items.length} pod sandboxes`);
        },
        (e) =>
          this.log.log(
            0,
            "W",
            "runtime-set.ts",
            `listing the pods of runtime ${b.label}: ${ConnectError.from(e).message}`,
          ),
      )
      .catch((e) =>
        this.log.log(
          0,
          "W",
          "runtime-set.ts",
          `runtime ${b.label} answered an unreadable ListPodSandbox: ${(e as Error).message}`,
        ),
      )
      .finally(() => this.listings.delete(b));
    this.listings.set(b, listing);
  }

  // A runtime that becomes ready is asked its handlers once; Status fan-outs keep them current.
  private askHandlers(b: Backend): void {
    askHandlers(
      b,
      (status) => {
        if (!this.active.includes(b)) return; // removed meanwhile: its handlers must not route
        if (this.handlers.noteStatus(b.name, status))
          this.log.log(
            1,
            "I",
            "runtime-set.ts",
            `runtime ${b.label} reports runtime handlers ${JSON.stringify(this.handlers.of(b.name))}`,
          );
      },
      this.log,
    );
  }
}
