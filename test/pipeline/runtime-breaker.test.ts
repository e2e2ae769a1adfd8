// One named runtime's breaker carried out over an injected clock: a miss opens it and starts the
// background probe, a probe's answer closes it, and a trial that was still waiting when the
// runtime recovered does not open it again when it finally ends as a miss.
import { afterEach, expect, test } from "bun:test";
import { createLogger } from "../../src/log/logger.ts";
import { RuntimeBreaker } from "../../src/pipeline/runtime-breaker.ts";
import { waitFor } from "../support/wait.ts";

const T = { budgetMs: 100, coolOffMs: 1000, probeMs: 10 };
const breakers: RuntimeBreaker[] = [];
afterEach(() => {
  for (const b of breakers.splice(0)) b.reset();
});

function breaker() {
  let now = 0;
  const lines: string[] = [];
  const b = new RuntimeBreaker(
    "vm",
    () => T,
    createLogger({ v: 0, write: (l) => lines.push(l), repeatWindowMs: 0 }),
    () => now,
  );
  breakers.push(b);
  return { b, lines, advance: (ms: number) => (now += ms) };
}

test("a trial still waiting when a probe closes the breaker: its late miss leaves the breaker closed", async () => {
  const { b, advance } = breaker();
  const first = b.admit();
  expect(first.admission).toBe("live");
  let answering = false;
  b.settle(
    false,
    "deadline exceeded",
    () => (answering ? Promise.resolve() : Promise.reject(new Error("stalled"))),
    first.episode,
  );
  expect(b.breaker.kind).toBe("open");
  advance(T.coolOffMs);
  const trial = b.admit();
  expect(trial.admission).toBe("trial");
  answering = true; // the runtime recovers; the background probe sees it first
  await waitFor(() => b.breaker.kind === "closed", 2000, "the probe closing the breaker");
  b.settle(false, "deadline exceeded", () => Promise.resolve(), trial.episode);
  expect(b.breaker.kind).toBe("closed");
  expect(b.opened).toBe(1);
  // A miss of this episode still opens it.
  const next = b.admit();
  expect(next.admission).toBe("live");
  b.settle(false, "deadline exceeded", () => new Promise(() => {}), next.episode);
  expect(b.breaker.kind).toBe("open");
  expect(b.opened).toBe(2);
});

test("an answer from before the last close still counts: it closes (the runtime answered)", () => {
  const { b } = breaker();
  const old = b.admit();
  b.settle(false, "unavailable", () => new Promise(() => {}), old.episode);
  b.reset();
  b.settle(false, "unavailable", () => new Promise(() => {}));
  expect(b.breaker.kind).toBe("open");
  b.settle(true, "", () => Promise.resolve(), old.episode);
  expect(b.breaker.kind).toBe("closed");
});
