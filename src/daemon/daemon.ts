// A running proxy, wired. The socket is bound first, with the runtimes already connecting;
// the routing (routing.ts: the generated CRI API, the pipeline) loads right after, and calls
// that arrive meanwhile wait for it. Then the metrics endpoint, reloads, and a graceful stop.
import { Backend } from "../backends/backend.ts";
import { configChanges, proxyKey } from "../config/config-changes.ts";
import type { Config } from "../config/config.ts";
import { resolveSocketGroup } from "../config/socket-group.ts";
import { ByteBudget } from "../grpc/byte-budget.ts";
import { intercept } from "../grpc/call.ts";
import { callLog } from "../log/call-log.ts";
import type { Logger } from "../log/logger.ts";
import { callMetrics } from "../metrics/call-metrics.ts";
import { ProxyMetrics } from "../metrics/proxy-metrics.ts";
import { startServer } from "../server/server.ts";
import { earlyHandlers, lazily } from "./early-calls.ts";
import { paceCollections } from "./gc-pacer.ts";
import { MetricsEndpoint } from "./metrics-endpoint.ts";
import { serializedReloads, type Reload } from "./reloads.ts";
import type { Routing } from "./routing.ts";

export interface Daemon {
  /** The runtimes of the running configuration, primary first. */
  readonly backends: readonly Backend[];
  readonly config: Config;
  readonly metrics: ProxyMetrics;
  /** Where /metrics is served, if anywhere. */
  readonly metricsUrl: string | undefined;
  /** Applies the configuration `load` returns (SIGHUP); on any error the running one stays, and the result says why. */
  reload: Reload;
  /** Graceful stop: no new calls, in-flight ones finish within the grace, runtimes close, socket removed. */
  stop(): Promise<void>;
}

/** Starts the proxy; resolves once its socket accepts connections (runtimes connect in the background). */
export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  let current = config;
  let stopping = false;
  const budget = new ByteBudget(config.maxBufferedBytes);
  // Tracing off (the default) loads no OpenTelemetry code at all.
  const tracing = config.tracing ? (await import("../trace/tracing.ts")).startTracing(config.tracing, log) : undefined;
  const traced = tracing ? [tracing.interceptor] : [];
  const stopPacing = paceCollections(budget);
  // Probing starts now, while the socket is bound and the routing loads: the first call finds the primary ready.
  const early = config.backends.map(
    (s) => new Backend({ name: s.name, socket: s.socket, api: s.api, connectTimeoutMs: config.connectTimeoutMs }),
  );
  // Loaded after the socket is bound (evaluating the generated CRI API takes longer than binding),
  // when a call first needs it or a moment later: kubelet's first Version is answered meanwhile.
  const routing = lazily<Routing>(() =>
    import("./routing.ts").then((m) => m.startRouting(config, log, metrics, early, traced)),
  );
  const backends = () => routing.value?.runtimes.backends ?? early;
  const metrics = new ProxyMetrics({
    backends,
    staleServed: () => routing.value?.runtimes.lastKnown.served ?? 0,
    runtimes: () => routing.value?.runtimes.degradation() ?? [],
    budget,
    server: () => server?.stats(),
  });
  for (const b of early) metrics.track(b), b.start();
  const endpoint = new MetricsEndpoint(log, {
    metrics: () => metrics.registry.render(),
    healthy: () => !stopping,
    notReady: () => notReady(backends()[0]),
  });
  const deferred = earlyHandlers(
    early[0],
    config,
    () => routing.get().then((r) => r.handlers),
    (h) => intercept(h, [...traced, callMetrics(metrics), callLog(log)]),
  );
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    endpoint.apply(config.metricsAddr);
    const gid = config.socketGroup === undefined ? undefined : resolveSocketGroup(config.socketGroup);
    const onFault = (e: unknown) =>
      log.log(0, "E", "server.ts", `unexpected failure in the proxy: ${(e as Error)?.stack ?? String(e)}`);
    const onClient = (what: string) => log.log(0, "W", "server.ts", what);
    server = await startServer({ listen: config.listen, handlers: deferred, budget, gid, onFault, onClient });
  } catch (e) {
    endpoint.stop();
    for (const b of early) b.close();
    throw e;
  }
  routing.start();
  void routing.get().then((r) => server!.swap(r.handlers)); // no extra hop once loaded
  const [primary, ...named] = early;
  log.log(
    0,
    "I",
    "daemon.ts",
    `criproxy serving on ${config.listen}, primary unix://${primary.socket}${named.map((b) => `, ${b.name} unix://${b.socket}`).join("")}`,
  );

  const reload = serializedReloads(metrics, async (next) => {
    const r = await routing.get();
    const changes = configChanges(current, next);
    r.check(next); // a configuration that cannot route is rejected before anything changes
    endpoint.apply(next.metricsAddr);
    log.v = next.verbosity;
    log.format = next.logFormat;
    budget.limit = next.maxBufferedBytes;
    if (proxyKey(next) !== proxyKey(current)) {
      r.apply(next);
      server!.swap(r.handlers);
    }
    current = { ...next, listen: current.listen, socketGroup: current.socketGroup, tracing: current.tracing }; // the socket and tracing stay until a restart
    return changes;
  });

  return {
    get backends() {
      return backends();
    },
    get config() {
      return current;
    },
    metrics,
    get metricsUrl() {
      return endpoint.url;
    },
    reload,
    async stop() {
      stopping = true;
      await server!.close(current.shutdownGraceMs);
      (await routing.get()).close();
      endpoint.stop();
      stopPacing();
      // Spans still batched are sent, within a bound: a collector that hangs must not hold the exit.
      if (tracing) await Promise.race([tracing.shutdown().catch(() => {}), Bun.sleep(2000)]);
      log.flush();
    },
  };
}

/** Why the proxy cannot serve kubelet now (/readyz), or undefined when the primary answers. */
function notReady(p: Backend): string | undefined {
  return p.state === "ready"
    ? undefined
    : `primary runtime (unix://${p.socket}) is ${p.state}${p.lastError ? `: ${p.lastError.rawMessage}` : ""}`;
}
