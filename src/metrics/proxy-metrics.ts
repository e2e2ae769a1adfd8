// What criproxy counts: calls, latencies, backend states and reconnects, stale list answers,
// events streamed, config reloads, and the process's own fds and memory.
import type { Backend } from "../backends/backend.ts";
import type { ByteBudget } from "../grpc/byte-budget.ts";
import { Counter, Histogram, Observed, Registry } from "./registry.ts";
import { processSamples } from "./process-metrics.ts";

/** Latency buckets (seconds): sub-millisecond forwarding up to kubelet's 2-minute runtime timeout. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface ProxyMetricsSources {
  /** The backends now configured (changes on reload). */
  backends(): readonly Backend[];
  /** List answers served from a vanished runtime's last-known memory, so far. */
  staleServed(): number;
  /** Each named runtime's breaker, and what it was given instead of live parts (undefined before routing starts). */
  runtimes?(): readonly RuntimeDegradation[];
  /** The proxy's byte budget. */
  budget?: ByteBudget;
  /** Open connections and streams (undefined before the socket is bound). */
  server?(): { connections: number; streams: number } | undefined;
}

/** One named runtime's breaker and degraded answers, as the pipeline counts them. */
export interface RuntimeDegradation {
  readonly backend: string;
  readonly breakerOpen: boolean;
  /** Epoch ms the breaker opened (undefined: closed). */
  readonly openSinceMs: number | undefined;
  readonly breakerOpened: number;
  /** Parts asked live that missed their budget or failed: the calls that waited for it. */
  readonly breakerMisses: number;
  readonly fromMemory: number;
  /** Age of the last-known part served last, while its pods are served from memory. */
  readonly memoryAgeMs: number | undefined;
  readonly leftOut: number;
}

/** criproxy's metric families, and the hooks that feed them. */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly calls = this.registry.register(
    new Counter(
      "criproxy_calls_total",
      "CRI calls answered, by method, runtime and gRPC code; a fan-out call counts once for each runtime it reached.",
      ["method", "backend", "code"],
    ),
  );
  readonly latency = this.registry.register(
    new Histogram(
      "criproxy_call_duration_seconds",
      "Time to answer a unary CRI call, by method and runtime.",
      ["method", "backend"],
      LATENCY_BUCKETS,
    ),
  );
  readonly events = this.registry.register(
    new Counter("criproxy_events_streamed_total", "GetContainerEvents messages sent to clients."),
  );
  readonly reconnects = this.registry.register(
    new Counter("criproxy_backend_reconnects_total", "Times a runtime became ready again after having been ready.", [
      "backend",
    ]),
  );
  readonly reloads = this.registry.register(
    new Counter("criproxy_config_reloads_total", "Configuration reloads (SIGHUP), by result.", ["result"]),
  );
  inFlight = 0;
  private readonly everReady = new WeakSet<Backend>();
  private readonly tracked = new WeakSet<Backend>();

  constructor(sources: ProxyMetricsSources) {
    const r = this.registry;
    r.register(
      new Observed(
        "criproxy_backend_ready",
        "1 while the runtime answers, 0 while it is connecting or down; api is the CRI API it speaks (unknown until first probed).",
        "gauge",
        () =>
          sources.backends().map((b) => ({
            labels: [
              ["backend", b.label],
              ["api", b.api ?? "unknown"],
            ] as const,
            value: b.state === "ready" ? 1 : 0,
          })),
      ),
    );
    r.register(
      new Observed(
        "criproxy_backend_calls_waiting",
        "Calls waiting for a stream to the runtime: it has as many open as its MAX_CONCURRENT_STREAMS allows.",
        "gauge",
        () => sources.backends().map((b) => ({ labels: [["backend", b.label]] as const, value: b.queued })),
      ),
    );
    r.register(
      new Observed(
        "criproxy_stale_list_answers_total",
        "List answers that carried a vanished runtime's last-known objects.",
        "counter",
        () => [{ labels: [], value: sources.staleServed() }],
      ),
    );
    const per = (read: (d: RuntimeDegradation) => number) => () =>
      (sources.runtimes?.() ?? []).map((d) => ({ labels: [["backend", d.backend]] as const, value: read(d) }));
    r.register(
      new Observed(
        "criproxy_breaker_open",
        "1 while a named runtime's breaker is open: it missed its fan-out budget and its parts are answered from memory until a probe answers.",
        "gauge",
        per((d) => (d.breakerOpen ? 1 : 0)),
      ),
    );
    r.register(
      new Observed(
        "criproxy_breaker_open_since_seconds",
        "When the open breaker opened (Unix time); 0 while closed.",
        "gauge",
        per((d) => (d.openSinceMs ?? 0) / 1000),
      ),
    );
    r.register(
      new Observed(
        "criproxy_breaker_opened_total",
        "Times a named runtime's breaker opened.",
        "counter",
        per((d) => d.breakerOpened),
      ),
    );
    r.register(
      new Observed(
        "criproxy_breaker_misses_total",
        "A named runtime's parts asked live that missed their budget or failed, each opening its breaker again: the calls that waited for it.",
        "counter",
        per((d) => d.breakerMisses),
      ),
    );
    r.register(
      new Observed(
        "criproxy_last_known_parts_total",
        "A named runtime's parts of merged lists answered from its last-known memory.",
        "counter",
        per((d) => d.fromMemory),
      ),
    );
    r.register(
      new Observed(
        "criproxy_last_known_age_seconds",
        "Age of the last-known part served last, while a runtime's pods are served from memory; 0 while it answers live.",
        "gauge",
        per((d) => (d.memoryAgeMs ?? 0) / 1000),
      ),
    );
    r.register(
      new Observed(
        "criproxy_parts_left_out_total",
        "A named runtime's parts of merged lists left out (nothing remembered, or older than --stale-grace).",
        "counter",
        per((d) => d.leftOut),
      ),
    );
    r.register(
      new Observed("criproxy_calls_in_flight", "CRI calls being answered now.", "gauge", () => [
        { labels: [], value: this.inFlight },
      ]),
    );
    const { budget, server } = sources;
    if (budget) {
      r.register(
        new Observed(
          "criproxy_buffered_bytes",
          "Bytes held for calls now (request bodies, answers in flight), against --max-buffered-bytes.",
          "gauge",
          () => [{ labels: [], value: budget.used }],
        ),
      );
      r.register(
        new Observed(
          "criproxy_buffered_bytes_peak",
          "The most bytes held for calls at once since the start.",
          "gauge",
          () => [{ labels: [], value: budget.peak }],
        ),
      );
      r.register(
        new Observed(
          "criproxy_buffer_refusals_total",
          "Calls refused with ResourceExhausted because --max-buffered-bytes was reached.",
          "counter",
          () => [{ labels: [], value: budget.refused }],
        ),
      );
    }
    if (server) {
      r.register(
        new Observed("criproxy_open_connections", "Client connections open on the socket.", "gauge", () => [
          { labels: [], value: server()?.connections ?? 0 },
        ]),
      );
      r.register(
        new Observed("criproxy_open_streams", "HTTP/2 streams (calls) open on the socket.", "gauge", () => [
          { labels: [], value: server()?.streams ?? 0 },
        ]),
      );
    }
    for (const [name, help, type, read] of processSamples())
      r.register(new Observed(name, help, type, () => [{ labels: [], value: read() }]));
    for (const b of sources.backends()) this.track(b);
  }

  /** Follows a backend's state to count reconnects (a transition to ready after its first). */
  track(b: Backend): void {
    if (this.tracked.has(b)) return;
    this.tracked.add(b);
    if (b.state === "ready") this.everReady.add(b);
    b.subscribe((backend) => {
      if (backend.state !== "ready") return;
      if (this.everReady.has(backend)) this.reconnects.inc([backend.label]);
      this.everReady.add(backend);
    });
  }

  /** Records a finished call. */
  called(method: string, backends: readonly string[], code: string, seconds: number | undefined): void {
    for (const backend of backends.length ? backends : ["none"]) {
      this.calls.inc([method, backend, code]);
      if (seconds !== undefined) this.latency.observe([method, backend], seconds);
    }
  }
}
