// The breaker of a named runtime as rows: which part is asked live, when it opens and closes,
// and how a call to its objects is refused while it is open. Pure: the clock is an argument.
import { describe, expect, test } from "bun:test";
import {
  admit,
  afterPart,
  isMiss,
  afterProbe,
  type Breaker,
  type BreakerTimings,
  CLOSED,
  DEFAULT_TIMINGS,
  openMessage,
  probeDeadlineMs,
} from "../../src/core/breaker-policy.ts";
import { defaults } from "../../src/config/config.ts";
import { parseDuration } from "../../src/config/duration.ts";

const T: BreakerTimings = { budgetMs: 5000, coolOffMs: 60_000, probeMs: 1000 };
const open = (sinceMs: number, trialAtMs: number): Breaker => ({
  kind: "open",
  sinceMs,
  trialAtMs,
  why: "deadline exceeded",
});

describe("admit: closed asks live; open answers at once until the cool-off ends, then one trial", () => {
  test.each<{ desc: string; b: Breaker; now: number; admission: string; next: Breaker }>([
    { desc: "closed: live", b: CLOSED, now: 0, admission: "live", next: CLOSED },
    {
      desc: "open, cool-off running: answered at once",
      b: open(0, 60_000),
      now: 59_999,
      admission: "skip",
      next: open(0, 60_000),
    },
    {
      desc: "open, cool-off over: this call is the trial",
      b: open(0, 60_000),
      now: 60_000,
      admission: "trial",
      next: { kind: "trial", sinceMs: 0, why: "deadline exceeded" },
    },
    {
      desc: "a trial in flight: the others are answered at once",
      b: { kind: "trial", sinceMs: 0, why: "x" },
      now: 90_000,
      admission: "skip",
      next: { kind: "trial", sinceMs: 0, why: "x" },
    },
  ])("$desc", ({ b, now, admission, next }) => {
    expect(admit(b, now)).toEqual({ admission: admission as never, next });
  });
});

describe("afterPart and afterProbe: a miss opens for a cool-off dated from the first miss; an answer in time closes", () => {
  test.each<{ desc: string; b: Breaker; answered: boolean; now: number; next: Breaker }>([
    { desc: "closed, answered: closed", b: CLOSED, answered: true, now: 10, next: CLOSED },
    {
      desc: "closed, missed: open since now, trial after the cool-off",
      b: CLOSED,
      answered: false,
      now: 10,
      next: open(10, 60_010),
    },
    {
      desc: "a trial missed: open again, still since the first miss",
      b: { kind: "trial", sinceMs: 10, why: "x" },
      answered: false,
      now: 70_000,
      next: open(10, 130_000),
    },
    {
      desc: "a trial answered: closed",
      b: { kind: "trial", sinceMs: 10, why: "x" },
      answered: true,
      now: 70_000,
      next: CLOSED,
    },
  ])("$desc", ({ b, answered, now, next }) => {
    expect(afterPart(b, answered, "deadline exceeded", now, T)).toEqual(next);
  });

  test("a probe that answers closes; one that misses changes nothing", () => {
    expect(afterProbe(open(0, 60_000), true)).toEqual(CLOSED);
    expect(afterProbe(open(0, 60_000), false)).toEqual(open(0, 60_000));
  });

  test("at most one call per cool-off pays the budget, however many calls come", () => {
    let b: Breaker = CLOSED;
    let paid = 0;
    // kubelet's relist: two calls a second for 5 minutes; the runtime never answers.
    for (let now = 0; now < 300_000; now += 500) {
      const { admission, next } = admit(b, now);
      b = next;
      if (admission === "skip") continue;
      paid++;
      b = afterPart(b, false, "stalled", now + T.budgetMs, T);
    }
    expect(paid).toBeLessThanOrEqual(Math.ceil(300_000 / T.coolOffMs));
  });
});

describe("isMiss: a stall or a lost runtime opens the breaker; an unusable answer that arrived does not", () => {
  test.each([
    { desc: "DeadlineExceeded: it stalled past its budget", code: 4, miss: true },
    { desc: "Unavailable: reset, GOAWAY, connection lost", code: 14, miss: true },
    { desc: "ResourceExhausted: an answer over 16 MiB", code: 8, miss: false },
    { desc: "Internal: an answer that does not decode", code: 13, miss: false },
    { desc: "Unimplemented", code: 12, miss: false },
  ])("$desc", ({ code, miss }) => {
    expect(isMiss(code)).toBe(miss);
  });
});

describe("the probe and the refusal", () => {
  test("a probe waits at most the probe interval (one in flight), or the budget when shorter", () => {
    expect(probeDeadlineMs(T)).toBe(1000);
    expect(probeDeadlineMs({ ...T, budgetMs: 300 })).toBe(300);
  });

  test("while open, a call to the runtime's objects is told which runtime, since when and why", () => {
    const msg = openMessage("vm", open(Date.UTC(2026, 0, 2, 3, 4, 5), 0), T)!;
    expect(msg).toContain("runtime vm");
    expect(msg).toContain("since 2026-01-02T03:04:05.000Z");
    expect(msg).toContain("deadline exceeded");
    expect(openMessage("vm", CLOSED, T)).toBeUndefined();
  });

  test("the flags' defaults are the policy's defaults", () => {
    const fromFlags = {
      budgetMs: parseDuration(defaults["fan-out-budget"]),
      coolOffMs: parseDuration(defaults["cool-off"]),
      probeMs: parseDuration(defaults["probe-interval"]),
    };
    expect(fromFlags).toEqual(DEFAULT_TIMINGS);
  });
});
