// What kubelet was given instead of a named runtime's live part, per runtime: for metrics,
// and for one warning line when its pods start being served from memory and one when they stop.
import type { Logger } from "../log/logger.ts";

interface Counts {
  /** Parts answered from last-known memory. */
  fromMemory: number;
  /** Parts left out (nothing remembered, or older than --stale-grace). */
  leftOut: number;
  /** Age of the last part served from memory while it still is (undefined: live now). */
  ageMs: number | undefined;
}

/** One runtime's degraded answers, as metrics read them. */
export interface DegradedSample extends Readonly<Counts> {
  readonly backend: string;
}

/** One named runtime's breaker and degraded answers (the metrics' RuntimeDegradation). */
export interface RuntimeDegradation {
  readonly backend: string;
  readonly breakerOpen: boolean;
  readonly openSinceMs: number | undefined;
  readonly breakerOpened: number;
  readonly breakerMisses: number;
  readonly fromMemory: number;
  readonly memoryAgeMs: number | undefined;
  readonly leftOut: number;
}

export class DegradedParts {
  private readonly counts = new Map<string, Counts>();

  constructor(private readonly log: Logger) {}

  private of(label: string): Counts {
    let c = this.counts.get(label);
    if (!c) this.counts.set(label, (c = { fromMemory: 0, leftOut: 0, ageMs: undefined }));
    return c;
  }

  /** A part served from memory, `ageMs` old, because `why`. */
  served(label: string, ageMs: number, why: string): void {
    const c = this.of(label);
    c.fromMemory++;
    if (c.ageMs === undefined)
      this.log.log(
        0,
        "W",
        "degraded-parts.ts",
        `runtime ${label}: its pods are served from memory (last-known answer ${Math.round(ageMs / 1000)}s old): ${why}`,
      );
    c.ageMs = ageMs;
  }

  /** A part left out. */
  leftOut(label: string): void {
    const c = this.of(label);
    c.leftOut++;
    this.stop(c, label, "its last-known answer expired or was never had; its pods are left out");
  }

  /** A live part: memory no longer stands in. */
  live(label: string): void {
    const c = this.counts.get(label);
    if (c) this.stop(c, label, "it answers live again");
  }

  /** Forgets a runtime no longer configured. */
  drop(label: string): void {
    this.counts.delete(label);
  }

  samples(): DegradedSample[] {
    return [...this.counts].map(([backend, c]) => ({ backend, ...c }));
  }

  private stop(c: Counts, label: string, why: string): void {
    if (c.ageMs === undefined) return;
    c.ageMs = undefined;
    this.log.log(0, "W", "degraded-parts.ts", `runtime ${label}: its pods are no longer served from memory: ${why}`);
  }
}
