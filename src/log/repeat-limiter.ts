// Repeated identical warnings (a runtime that stays down, a list served from memory every
// relist) are written once per window, then once more with a count and the first and last
// time of the repeats, so journald's rate limit never drops the lines around them.

/** A run of suppressed lines: how many, and when the first and the last of them happened. */
export interface Repeats {
  readonly count: number;
  readonly first: Date;
  readonly last: Date;
}

/** How a suppressed run is written at the end of its window (the last line's writer). */
export type Summary = (repeats: Repeats) => void;

const MAX_KEYS = 256;

interface Run {
  count: number;
  first?: Date;
  last?: Date;
  summary: Summary;
  timer?: ReturnType<typeof setTimeout>;
}

/** Admits the first of a run of identical lines per window; counts the rest and reports them once. */
export class RepeatLimiter {
  private readonly runs = new Map<string, Run>();

  constructor(readonly windowMs: number) {}

  /** True when the line (of time `at`) should be written now; otherwise it is counted for `summary`. */
  admit(key: string, at: Date, summary: Summary): boolean {
    const run = this.runs.get(key);
    if (!run) {
      if (this.runs.size >= MAX_KEYS || this.windowMs <= 0) return true; // too many distinct lines: write them all
      const fresh: Run = { count: 0, summary };
      this.runs.set(key, fresh);
      fresh.timer = setTimeout(() => this.end(key), this.windowMs);
      fresh.timer.unref?.();
      return true;
    }
    run.count++;
    run.first ??= at;
    run.last = at;
    run.summary = summary;
    return false;
  }

  /** Writes every pending count now (on exit). */
  flush(): void {
    for (const key of [...this.runs.keys()]) this.end(key);
  }

  private end(key: string): void {
    const run = this.runs.get(key);
    if (!run) return;
    clearTimeout(run.timer);
    this.runs.delete(key);
    if (run.count > 0) run.summary({ count: run.count, first: run.first!, last: run.last! });
  }
}

/** Lines that differ only in numbers (ages, durations, ports) count as the same line. */
export function repeatKey(severity: string, source: string, text: string): string {
  return `${severity}\0${source}\0${text.replace(/\d+(\.\d+)?/g, "#")}`;
}
