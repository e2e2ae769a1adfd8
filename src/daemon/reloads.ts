// SIGHUP reloads, one at a time: each is applied in full or not at all, and counted.
import type { Config } from "../config/config.ts";
import type { ProxyMetrics } from "../metrics/proxy-metrics.ts";

/** Applies the configuration `load` returns; the result says what changed, or why nothing did. */
export type Reload = (load: () => Config) => Promise<{ ok: true; changes: string[] } | { ok: false; reason: string }>;

/** A reload function that runs `apply` for one configuration at a time, counting ok and error in the metrics. */
export function serializedReloads(metrics: ProxyMetrics, apply: (next: Config) => Promise<string[]>): Reload {
  let reloading = Promise.resolve();
  return (load) => {
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
  };
}
