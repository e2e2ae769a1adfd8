// The breaker of one named runtime, as pure decisions over a clock the caller reads: a runtime
// that is connected but hangs costs kubelet one fan-out budget, not every call (DESIGN.md,
// "Backends"). Closed: parts are asked live. Open: parts are answered at once from last-known
// (or left out) while a background probe waits for the runtime. When the cool-off ends, one
// call is let through as a trial; every other call keeps being answered at once.

/** The breaker's timings (flags --fan-out-budget, --cool-off, --probe-interval). */
export interface BreakerTimings {
  /** A named runtime's budget for its whole part of a fan-out. */
  readonly budgetMs: number;
  /** How long an open breaker answers from memory before one call may pay the budget again. */
  readonly coolOffMs: number;
  /** How often an open breaker's runtime is probed in the background. */
  readonly probeMs: number;
}

/** The defaults of the flags (config.ts says why: kubelet's timings). */
export const DEFAULT_TIMINGS: BreakerTimings = { budgetMs: 5000, coolOffMs: 60_000, probeMs: 1000 };

export type Breaker =
  | { readonly kind: "closed" }
  /** Since `sinceMs` (the first miss); `trialAtMs`: when the next call may try the runtime live. */
  | { readonly kind: "open"; readonly sinceMs: number; readonly trialAtMs: number; readonly why: string }
  /** One call is trying the runtime live; the others are answered at once. */
  | { readonly kind: "trial"; readonly sinceMs: number; readonly why: string };

export const CLOSED: Breaker = { kind: "closed" };

/** What a call does with this runtime's part: ask it live, ask it as the one trial, or answer at once. */
export type Admission = "live" | "trial" | "skip";

/** Whether a part of this runtime is asked live now, and the breaker after that decision. */
export function admit(b: Breaker, nowMs: number): { readonly admission: Admission; readonly next: Breaker } {
  if (b.kind === "closed") return { admission: "live", next: b };
  if (b.kind === "open" && nowMs >= b.trialAtMs)
    return { admission: "trial", next: { kind: "trial", sinceMs: b.sinceMs, why: b.why } };
  return { admission: "skip", next: b };
}

/**
 * The breaker after a live part (a trial's included) ended: answered in time closes it; missed
 * its budget or failed opens it for a cool-off, dated from the first miss of the episode.
 */
export function afterPart(b: Breaker, answered: boolean, why: string, nowMs: number, t: BreakerTimings): Breaker {
  if (answered) return CLOSED;
  const sinceMs = b.kind === "closed" ? nowMs : b.sinceMs;
  return { kind: "open", sinceMs, trialAtMs: nowMs + t.coolOffMs, why };
}

/**
 * Whether a live part's failure, by its gRPC code, counts as a miss: the runtime stalled past its
 * budget (DeadlineExceeded) or went away mid-answer (Unavailable). An answer that arrived but is
 * unusable (too large, garbled) cost no waiting: it is served from memory for that call, and the
 * runtime's other calls are not refused for it.
 */
export function isMiss(code: number): boolean {
  return code === 4 || code === 14;
}

/** The breaker after a background probe: an answer in time closes it; a miss changes nothing. */
export function afterProbe(b: Breaker, answered: boolean): Breaker {
  return answered ? CLOSED : b;
}

/**
 * A probe's deadline: the budget, but no longer than the probe interval, so one probe at most is
 * in flight and a runtime that recovers is closed within one interval of it.
 */
export function probeDeadlineMs(t: BreakerTimings): number {
  return Math.min(t.budgetMs, t.probeMs);
}

/** How an open breaker is told to kubelet for a call to the runtime's own objects (Unavailable). */
export function openMessage(label: string, b: Breaker, t: BreakerTimings): string | undefined {
  if (b.kind === "closed") return undefined;
  const since = new Date(b.sinceMs).toISOString();
  return `runtime ${label} has not answered in time since ${since} (${b.why}); its calls fail fast until a probe (every ${t.probeMs}ms) answers within ${probeDeadlineMs(t)}ms`;
}
