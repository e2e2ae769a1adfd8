// Repeated identical warnings (a runtime that stays down, a list served from memory every
// relist) are written once per window, then once more with a count, so journald's rate
// limit never drops the lines around them.

/** How a suppressed line is written at the end of its window, with the count. */
export type Summary = (repeated: number) => void;

const MAX_KEYS = 256;

/** Admits the first of a run of identical lines per window; counts the rest and reports them once. */
export class RepeatLimiter {
  private readonly runs = new Map<string, { count: number; last: Summary; timer?: ReturnType<typeof setTimeout> }>();

  constructor(readonly windowMs: number) {}

  /**
   * True when the line should be written now. Otherwise it is counted, and `summary` (this
   * line's writer) is called with the count when the window ends.
   */
  admit(key: string, summary: Summary): boolean {
    const run = this.runs.get(key);
    if (!run) {
      if (this.runs.size >= MAX_KEYS || this.windowMs <= 0) return true; // too many distinct lines: write them all
      const fresh: { count: number; last: Summary; timer?: ReturnType<typeof setTimeout> } = { count: 0, last: summary };
      this.runs.set(key, fresh);
      fresh.timer = setTimeout(() => this.end(key), this.windowMs);
      fresh.timer.unref?.();
      return true;
    }
    run.count++;
    run.last = summary;
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
    if (run.count > 0) run.last(run.count);
  }
}

/** Lines that differ only in numbers (ages, durations, ports) count as the same line. */
export function repeatKey(severity: string, source: string, text: string): string {
  return `${severity}\0${source}\0${text.replace(/\d+(\.\d+)?/g, "#")}`;
}
