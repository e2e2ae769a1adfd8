// A running proxy: backends, server, metrics endpoint, reloads. `criproxy serve` and the demo both start one.
import { Backend } from "./backends/backend.ts";
import type { Config } from "./config/config.ts";
import type { BackendSpec } from "./config/endpoints.ts";
import { Generation } from "./config/handler-generation.ts";
import { configChanges, proxyKey } from "./config/config-changes.ts";
import { resolveSocketGroup } from "./config/socket-group.ts";
import { routingTable } from "./core/routing-table.ts";
import { withCallRecords } from "./log/call-log.ts";
import type { Logger } from "./log/klog.ts";
import type { NodeLogger } from "./log/node-logger.ts";
import { withMetrics } from "./metrics/metrics-interceptor.ts";
import { startMetricsServer, type MetricsServer } from "./metrics/metrics-server.ts";
import { ProxyMetrics } from "./metrics/proxy-metrics.ts";
import type { Handlers } from "./server/call.ts";
import { withLogging } from "./server/logging.ts";
import { LastKnown } from "./server/last-known.ts";
import { createProxy } from "./server/proxy.ts";
import { startServer } from "./server/server.ts";

export interface Daemon {
  /** The backends of the running configuration, primary first. */
  readonly backends: readonly Backend[];
  readonly config: Config;
  readonly metrics: ProxyMetrics;
  /** Where /metrics is served, if anywhere. */
  readonly metricsUrl: string | undefined;
  /**
   * Applies the configuration `load` returns (SIGHUP). A `load` that throws, or a config that
   * cannot be applied, leaves the running one as it was; the result says why.
   */
  reload(load: () => Config): Promise<{ ok: true; changes: string[] } | { ok: false; reason: string }>;
  /** Graceful stop: no new calls, in-flight ones finish within the grace, backends close, socket removed. */
  stop(): Promise<void>;
}

/** Longest a reload waits for the old configuration's calls before closing removed runtimes. */
const MAX_DRAIN_MS = 120_000;
/** The text of the proxy's line when a list answer carries a vanished runtime's memory (counted for metrics). */

/** Starts the proxy; resolves once its socket accepts connections (backends connect in the background). */
export async function startDaemon(config: Config, log: Logger | NodeLogger): Promise<Daemon> {
  let current = config;
  let active: Backend[] = [];
  const pool = new Map<string, { backend: Backend; socket: string; connectTimeoutMs: number }>();
  const draining = new Set<Backend>();
  const lastKnown = new LastKnown(config.staleGraceMs);
  let stopping = false;
  const metrics = new ProxyMetrics({ backends: () => active, staleServed: () => lastKnown.served });

  const backendFor = (spec: BackendSpec, cfg: Config): Backend => {
    const have = pool.get(spec.name);
    if (have && have.socket === spec.socket && have.connectTimeoutMs === cfg.connectTimeoutMs) return have.backend;
    const b = new Backend({
      name: spec.name,
      socket: spec.socket,
      connectTimeoutMs: cfg.connectTimeoutMs,
      onState(b, previous) {
        const why = b.state === "down" && b.lastError ? `: ${b.lastError.rawMessage}` : "";
        log.log(b.state === "down" ? 0 : 1, b.state === "down" ? "W" : "I", "backend.ts", `runtime ${b.label} (unix://${b.socket}): ${previous} -> ${b.state}${why}`);
      },
    });
    metrics.track(b);
    return b;
  };

  const generationFor = (cfg: Config, backends: Backend[]): Generation => {
    const [primary, ...named] = backends;
    const table = routingTable(
      named.map((b) => b.name),
      cfg.handlers.map((c) => [c.handler, { backend: c.backend, handler: c.backendHandler }] as const),
    );
    lastKnown.graceMs = cfg.staleGraceMs; // last-known lists survive a reload
    const proxy = createProxy({
      primary,
      named,
      table,
      connectTimeoutMs: cfg.connectTimeoutMs,
      requestTimeoutMs: cfg.requestTimeoutMs,
      staleGraceMs: cfg.staleGraceMs,
      streamUrl: cfg.streamUrl,
      log,
      lastKnown,
    });

    const measured = withMetrics(proxy, metrics);
    const text = withLogging(measured, log);
    // --log-format can change on SIGHUP: pick the per-call log at each call.
    const json = "record" in log ? withCallRecords(measured, log) : text;
    const logged: Handlers = {
      unary: (call) => (isJson(log) ? json : text).unary(call),
      stream: (call, send) => (isJson(log) ? json : text).stream(call, send),
    };
    return new Generation(logged, () => proxy.dispose());
  };

  active = config.backends.map((spec) => backendFor(spec, config));
  for (const b of active) pool.set(b.name, { backend: b, socket: b.socket, connectTimeoutMs: config.connectTimeoutMs });
  let generation = generationFor(config, active);
  let metricsServer = config.metricsAddr ? startMetrics(config) : undefined;
  // Probe the runtimes while the socket is being bound: the first call finds the primary ready.
  for (const b of active) b.start();
  let server;
  try {
    server = await startServer({
      listen: config.listen,
      handlers: generation.handlers,
      gid: config.socketGroup === undefined ? undefined : resolveSocketGroup(config.socketGroup),
      rewriteAuthority: config.rewriteAuthority,
      onError: (e) => log.log(0, "E", "server.ts", `unexpected failure in a call: ${(e as Error)?.stack ?? String(e)}`),
    });
  } catch (e) {
    metricsServer?.stop();
    for (const b of active) b.close();
    throw e;
  }
  const primary = active[0];
  log.log(0, "I", "daemon.ts", `criproxy serving on ${config.listen}, primary unix://${primary.socket}${active.slice(1).map((b) => `, ${b.name} unix://${b.socket}`).join("")}`);

  function startMetrics(cfg: Config): MetricsServer {
    const addr = cfg.metricsAddr!;
    const s = startMetricsServer(addr, {
      metrics: () => metrics.registry.render(),
      healthy: () => !stopping,
      notReady() {
        const p = active[0];
        if (p.state === "ready") return undefined;
        return `primary runtime (unix://${p.socket}) is ${p.state}${p.lastError ? `: ${p.lastError.rawMessage}` : ""}`;
      },
    });
    log.log(0, "I", "daemon.ts", `metrics on ${s.url} (/metrics, /healthz, /readyz)`);
    if (!addr.loopback) log.log(0, "W", "daemon.ts", `--metrics-addr ${addr.host} is not a loopback address: /metrics is reachable from the network`);
    return s;
  }

  let reloading = Promise.resolve();
  async function apply(next: Config): Promise<string[]> {
    const changes = configChanges(current, next);
    // The metrics endpoint first: an address that cannot be bound rejects the reload untouched.
    if (JSON.stringify(next.metricsAddr) !== JSON.stringify(current.metricsAddr)) {
      metricsServer?.stop();
      metricsServer = undefined;
      try {
        metricsServer = next.metricsAddr ? startMetrics(next) : undefined;
      } catch (e) {
        metricsServer = current.metricsAddr ? startMetrics(current) : undefined;
        throw new Error(`--metrics-addr ${next.metricsAddr!.host}:${next.metricsAddr!.port}: ${(e as Error).message}`);
      }
    }
    log.v = next.verbosity;
    if ("format" in log) log.format = next.logFormat;
    if (proxyKey(next) !== proxyKey(current)) {
      const backends = next.backends.map((spec) => backendFor(spec, next));
      const removed = active.filter((b) => !backends.includes(b));
      const added = backends.filter((b) => !active.includes(b));
      const old = generation;
      generation = generationFor(next, backends);
      server!.swap(generation.handlers);
      active = backends;
      pool.clear();
      for (const b of backends) pool.set(b.name, { backend: b, socket: b.socket, connectTimeoutMs: next.connectTimeoutMs });
      for (const b of added) b.start();
      for (const b of removed) draining.add(b);
      const drainMs = Math.max(next.shutdownGraceMs, Math.min(next.requestTimeoutMs || MAX_DRAIN_MS, MAX_DRAIN_MS));
      void old.retire(drainMs).then((drained) => {
        for (const b of removed) {
          log.log(0, "I", "daemon.ts", `runtime ${b.label} (unix://${b.socket}) removed${drained ? "" : `; calls still running after ${drainMs}ms were cut`}`);
          b.close();
          draining.delete(b);
        }
      });
    }
    // The socket stays where it is until a restart.
    current = { ...next, listen: current.listen, socketGroup: current.socketGroup };
    return changes;
  }

  return {
    get backends() {
      return active;
    },
    get config() {
      return current;
    },
    metrics,
    get metricsUrl() {
      return metricsServer?.url;
    },
    reload(load) {
      const result = reloading.then(async () => {
        try {
          const changes = await apply(load());
          metrics.reloads.inc(["ok"]);
          return { ok: true as const, changes };
        } catch (e) {
          metrics.reloads.inc(["error"]);
          return { ok: false as const, reason: (e as Error).message };
        }
      });
      reloading = result.then(() => undefined);
      return result;
    },
    async stop() {
      stopping = true;
      await server!.close(current.shutdownGraceMs);
      for (const b of [...active, ...draining]) b.close();
      metricsServer?.stop();
      if ("flush" in log) log.flush();
    },
  };
}

function isJson(log: Logger | NodeLogger): boolean {
  return "format" in log && log.format === "json";
}
