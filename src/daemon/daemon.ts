// A running proxy, wired: the runtime set, one pipeline generation per configuration wrapped
// in its interceptors, the server, the metrics endpoint, and reloads. `serve` and the demo start one.
import type { Backend } from "../backends/backend.ts";
import { configChanges, proxyKey } from "../config/config-changes.ts";
import type { Config } from "../config/config.ts";
import { resolveSocketGroup } from "../config/socket-group.ts";
import { routingTable } from "../core/routing-table.ts";
import { ByteBudget } from "../grpc/byte-budget.ts";
import { intercept } from "../grpc/call.ts";
import { callLog } from "../log/call-log.ts";
import type { Logger } from "../log/logger.ts";
import { callMetrics } from "../metrics/call-metrics.ts";
import { ProxyMetrics } from "../metrics/proxy-metrics.ts";
import { Generation } from "../pipeline/generation.ts";
import { createPipeline } from "../pipeline/pipeline.ts";
import { RuntimeSet } from "../pipeline/runtime-set.ts";
import { startServer, type RunningServer } from "../server/server.ts";
import { paceCollections } from "./gc-pacer.ts";
import { MetricsEndpoint } from "./metrics-endpoint.ts";

export interface Daemon {
  /** The runtimes of the running configuration, primary first. */
  readonly backends: readonly Backend[];
  readonly config: Config;
  readonly metrics: ProxyMetrics;
  /** Where /metrics is served, if anywhere. */
  readonly metricsUrl: string | undefined;
  /** Applies the configuration `load` returns (SIGHUP); on any error the running one stays, and the result says why. */
  reload(load: () => Config): Promise<{ ok: true; changes: string[] } | { ok: false; reason: string }>;
  /** Graceful stop: no new calls, in-flight ones finish within the grace, runtimes close, socket removed. */
  stop(): Promise<void>;
}

/** Longest a reload waits for the old configuration's calls before closing removed runtimes. */
const MAX_DRAIN_MS = 120_000;

/** Starts the proxy; resolves once its socket accepts connections (runtimes connect in the background). */
export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  let current = config;
  let stopping = false;
  const budget = new ByteBudget(config.maxBufferedBytes);
  const stopPacing = paceCollections(budget);
  const runtimes = new RuntimeSet(log, (b) => metrics.track(b));
  const metrics = new ProxyMetrics({ backends: () => runtimes.backends, staleServed: () => runtimes.lastKnown.served, budget, server: () => server?.stats() });
  const endpoint = new MetricsEndpoint(log, { metrics: () => metrics.registry.render(), healthy: () => !stopping, notReady: () => notReady(runtimes.backends[0]) });
  const interceptors = [callMetrics(metrics), callLog(log)];
  const tableFor = (cfg: Config) => routingTable(cfg.backends.slice(1).map((b) => b.name), cfg.handlers.map((c) => [c.handler, { backend: c.backend, handler: c.backendHandler }] as const));
  const generationFor = (cfg: Config, table = tableFor(cfg)) => new Generation(intercept(createPipeline({ ...cfg, runtimes, table, log }), interceptors));

  const table = tableFor(config);
  runtimes.configure(config.backends, config.connectTimeoutMs); // probing starts while the socket is bound
  let generation = generationFor(config, table);
  let server: RunningServer | undefined;
  try {
    endpoint.apply(config.metricsAddr);
    const gid = config.socketGroup === undefined ? undefined : resolveSocketGroup(config.socketGroup);
    const onFault = (e: unknown) => log.log(0, "E", "server.ts", `unexpected failure in the proxy: ${(e as Error)?.stack ?? String(e)}`);
    const onClient = (what: string) => log.log(0, "W", "server.ts", what);
    server = await startServer({ listen: config.listen, handlers: generation.handlers, budget, gid, onFault, onClient });
  } catch (e) {
    endpoint.stop();
    runtimes.close();
    throw e;
  }
  const [primary, ...named] = runtimes.backends;
  log.log(0, "I", "daemon.ts", `criproxy serving on ${config.listen}, primary unix://${primary.socket}${named.map((b) => `, ${b.name} unix://${b.socket}`).join("")}`);

  async function apply(next: Config): Promise<string[]> {
    const changes = configChanges(current, next);
    const table = tableFor(next); // a configuration that cannot route is rejected before anything changes
    endpoint.apply(next.metricsAddr);
    log.v = next.verbosity;
    log.format = next.logFormat;
    budget.limit = next.maxBufferedBytes;
    if (proxyKey(next) !== proxyKey(current)) {
      const { removed } = runtimes.configure(next.backends, next.connectTimeoutMs);
      const old = generation;
      generation = generationFor(next, table);
      server!.swap(generation.handlers);
      const drainMs = Math.max(next.shutdownGraceMs, Math.min(next.requestTimeoutMs || MAX_DRAIN_MS, MAX_DRAIN_MS));
      void old.retire(drainMs).then((drained) => {
        for (const b of removed) log.log(0, "I", "daemon.ts", `runtime ${b.label} (unix://${b.socket}) removed${drained ? "" : `; calls still running after ${drainMs}ms were cut`}`);
        runtimes.retire(removed);
      });
    }
    current = { ...next, listen: current.listen, socketGroup: current.socketGroup }; // the socket stays until a restart
    return changes;
  }

  let reloading = Promise.resolve();
  return {
    get backends() {
      return runtimes.backends;
    },
    get config() {
      return current;
    },
    metrics,
    get metricsUrl() {
      return endpoint.url;
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
      runtimes.close();
      endpoint.stop();
      stopPacing();
      log.flush();
    },
  };
}

/** Why the proxy cannot serve kubelet now (/readyz), or undefined when the primary answers. */
function notReady(p: Backend): string | undefined {
  return p.state === "ready" ? undefined : `primary runtime (unix://${p.socket}) is ${p.state}${p.lastError ? `: ${p.lastError.rawMessage}` : ""}`;
}
