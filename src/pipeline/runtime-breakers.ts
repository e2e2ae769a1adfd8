// The named runtimes' breakers and their degraded answers, as the runtime set keeps them across
// reloads: one breaker per runtime name (created closed), the timings the configuration gives
// them, and what metrics read of them.
import { type BreakerTimings, DEFAULT_TIMINGS } from "../core/breaker-policy.ts";
import type { Logger } from "../log/logger.ts";
import { DegradedParts, type RuntimeDegradation } from "./degraded-parts.ts";
import { RuntimeBreaker } from "./runtime-breaker.ts";

export class RuntimeBreakers {
  /** Parts served from memory or left out, per runtime, for metrics and the warnings. */
  readonly degraded: DegradedParts;
  private readonly byName = new Map<string, RuntimeBreaker>();
  private timings: BreakerTimings = DEFAULT_TIMINGS;

  constructor(private readonly log: Logger) {
    this.degraded = new DegradedParts(log);
  }

  /** The breaker of the runtime named `name` (created closed). */
  of(name: string): RuntimeBreaker {
    let b = this.byName.get(name);
    if (!b)
      this.byName.set(name, (b = new RuntimeBreaker(name === "" ? "primary" : name, () => this.timings, this.log)));
    return b;
  }

  /** The configuration's timings, for every breaker from now on. */
  configure(timings: BreakerTimings): void {
    this.timings = timings;
  }

  /** A runtime reconnected: what stalled was the old connection. */
  reset(name: string): void {
    this.byName.get(name)?.reset();
  }

  /** A runtime no longer configured: its breaker and counts go (a new one of that name starts clean). */
  drop(name: string, label: string): void {
    this.reset(name);
    this.byName.delete(name);
    this.degraded.drop(label);
  }

  /** Stops every probe (shutdown). */
  close(): void {
    for (const b of this.byName.values()) b.reset();
  }

  /** Each named runtime's breaker and degraded answers, for metrics. */
  degradation(named: readonly { name: string; label: string }[]): RuntimeDegradation[] {
    const parts = new Map(this.degraded.samples().map((d) => [d.backend, d]));
    return named.map(({ name, label }) => {
      const b = this.byName.get(name);
      const s = b?.breaker;
      const d = parts.get(label);
      const openSinceMs = s === undefined || s.kind === "closed" ? undefined : s.sinceMs;
      return {
        backend: label,
        breakerOpen: openSinceMs !== undefined,
        openSinceMs,
        breakerOpened: b?.opened ?? 0,
        breakerMisses: b?.misses ?? 0,
        fromMemory: d?.fromMemory ?? 0,
        memoryAgeMs: d?.ageMs,
        leftOut: d?.leftOut ?? 0,
      };
    });
  }
}
