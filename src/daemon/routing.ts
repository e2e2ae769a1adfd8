// What serving needs beyond the socket: the runtime set, the routing table and one pipeline
// generation per configuration, wrapped in its interceptors. The daemon loads this module
// after binding its socket (it loads the generated CRI API), so a restart is a short gap.
import type { Backend } from "../backends/backend.ts";
import type { Config } from "../config/config.ts";
import { routingTable } from "../core/routing-table.ts";
import { intercept, type Handlers, type Interceptor } from "../grpc/call.ts";
import { callLog } from "../log/call-log.ts";
import type { Logger } from "../log/logger.ts";
import { callMetrics } from "../metrics/call-metrics.ts";
import type { ProxyMetrics } from "../metrics/proxy-metrics.ts";
import { Generation } from "../pipeline/generation.ts";
import { createPipeline } from "../pipeline/pipeline.ts";
import { resolveRows } from "../pipeline/resolve-rows.ts";
import { RuntimeSet } from "../pipeline/runtime-set.ts";

/** Longest a reload waits for the old configuration's calls before closing removed runtimes. */
const MAX_DRAIN_MS = 120_000;

const timingsOf = (c: Config) => ({ budgetMs: c.fanOutBudgetMs, coolOffMs: c.coolOffMs, probeMs: c.probeIntervalMs });

/** The routing of the running configuration. */
export interface Routing {
  readonly runtimes: RuntimeSet;
  /** The handlers of the current generation. */
  readonly handlers: Handlers;
  /** Throws when a configuration cannot route (bad handler claims), before anything changes. */
  check(next: Config): void;
  /** Applies a configuration's runtimes and routing; the old generation drains, then removed runtimes close. */
  apply(next: Config): void;
  close(): void;
}

/** Builds the routing for `config`, adopting the runtimes already connecting (`early`). */
export function startRouting(
  config: Config,
  log: Logger,
  metrics: ProxyMetrics,
  early: readonly Backend[],
  traced: readonly Interceptor[] = [],
): Routing {
  const runtimes = new RuntimeSet(log, (b) => metrics.track(b), early);
  // The tracer (when on) after the rows are resolved and before the log, whose lines carry its trace id.
  const interceptors: Interceptor[] = [resolveRows, ...traced, callMetrics(metrics), callLog(log)];
  const tableFor = (cfg: Config) =>
    routingTable(
      cfg.backends.slice(1).map((b) => b.name),
      cfg.handlers.map((c) => [c.handler, { backend: c.backend, handler: c.backendHandler }] as const),
    );
  const generationFor = (cfg: Config) =>
    new Generation(intercept(createPipeline({ ...cfg, runtimes, table: tableFor(cfg), log }), interceptors));
  runtimes.configure(config.backends, config.connectTimeoutMs, timingsOf(config));
  let generation = generationFor(config);
  return {
    runtimes,
    get handlers() {
      return generation.handlers;
    },
    check: (next) => void tableFor(next),
    apply(next) {
      const { removed } = runtimes.configure(next.backends, next.connectTimeoutMs, timingsOf(next));
      const old = generation;
      generation = generationFor(next);
      const drainMs = Math.max(next.shutdownGraceMs, Math.min(next.requestTimeoutMs || MAX_DRAIN_MS, MAX_DRAIN_MS));
      void old.retire(drainMs).then((drained) => {
        for (const b of removed)
          log.log(
            0,
            "I",
            "daemon.ts",
            `runtime ${b.label} (unix://${b.socket}) removed${drained ? "" : `; calls still running after ${drainMs}ms were cut`}`,
          );
        runtimes.retire(removed);
      });
    },
    close: () => runtimes.close(),
  };
}
