// A bounded fuzz run against two proxy processes (one runtime; a primary and a named one):
// inputs from a seeded PRNG, the proxies' health, fds and memory watched throughout.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnFakeProcess, type FakeProcess } from "../support/fake-process.ts";
import { startProxy } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { waitFor } from "../support/wait.ts";
import { exchange } from "./exchange.ts";
import type { FuzzInput } from "./grpc-inputs.ts";
import { makeInput } from "./make-input.ts";
import { createRng, inputSeed } from "./prng.ts";
import {
  alive,
  answersVersion,
  checkHealth,
  checkSettled,
  mib,
  reading,
  unexpectedFailures,
  type Reading,
  type Target,
} from "./target-watch.ts";

export interface FuzzOptions {
  readonly seconds: number;
  readonly seed: number;
  /** Inputs in flight at once (1 makes a crash's input certain). */
  readonly concurrency: number;
  /** Run this one input only (a replay). */
  readonly only?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface Violation {
  readonly what: string;
  /** The input(s) to blame, each with a file holding its exact bytes and a replay command. */
  readonly inputs: readonly string[];
}

export interface TargetReport {
  readonly name: string;
  /** Open fds and RSS (MiB) at the baseline (after warm-up) and after the run settled. */
  readonly fds: readonly [number, number];
  readonly rssMiB: readonly [number, number];
  readonly peakRssMiB: number;
  /** Lines the proxy logged as its own unexpected failures, and the distinct ones. */
  readonly unexpectedFailures: number;
  readonly unexpectedSamples: readonly string[];
}

export interface FuzzReport {
  readonly seed: number;
  readonly inputs: number;
  readonly byKind: Readonly<Record<string, number>>;
  /** Streams that had to be answered, how many got a status, and how many the server dropped with its connection. */
  readonly streamsOwed: number;
  readonly statuses: number;
  readonly dropped: number;
  readonly violations: readonly Violation[];
  readonly targets: readonly TargetReport[];
}

const ANSWER_MS = 5000;
const LINGER_MS = 150;
const HEALTH_EVERY_MS = 2000;
const WARM_UP_MS = 3000;
const MAX_VIOLATIONS = 20;

/** The input of `index` in a run of `seed`: the same bytes every time. */
export function inputOf(seed: number, index: number): FuzzInput {
  return makeInput(createRng(inputSeed(seed, index)));
}

/** Runs the fuzzer for `seconds` (or one input) and reports; a finding is a violation, never a throw. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const log = opts.log ?? (() => {});
  const fakes: FakeProcess[] = [];
  const targets: Target[] = [];
  const violations: Violation[] = [];
  const byKind: Record<string, number> = {};
  let streamsOwed = 0;
  let dropped = 0;
  let statuses = 0;
  let next = opts.only ?? 0;
  const targetOf = (index: number) => targets[index % targets.length];

  const blame = (index: number): string => {
    const input = inputOf(opts.seed, index);
    const file = join(tmpdir(), `criproxy-fuzz-${opts.seed}-${index}.bin`);
    writeFileSync(file, input.bytes);
    return `input ${index} (${input.kind} -> ${targetOf(index).name}: ${input.summary}; ${input.bytes.length} B in ${file}; replay: bun run fuzz --seed ${opts.seed} --only ${index})`;
  };
  const violate = (what: string, indexes: readonly number[]) => {
    log(`VIOLATION: ${what}`);
    if (violations.length < MAX_VIOLATIONS) violations.push({ what, inputs: indexes.map(blame) });
  };
  const runOne = async (index: number) => {
    const target = targetOf(index);
    const input = inputOf(opts.seed, index);
    target.recent.push(index);
    if (target.recent.length > 16) target.recent.shift();
    byKind[input.kind] = (byKind[input.kind] ?? 0) + 1;
    streamsOwed += input.owed.length;
    const result = await exchange(target.proxy.socket, input, { answerMs: ANSWER_MS, lingerMs: LINGER_MS });
    dropped += result.dropped.length;
    statuses += result.statuses;
    if (result.hanging.length)
      violate(
        `${target.name}: stream(s) ${result.hanging.join(",")} got no status, reset or GOAWAY within ${ANSWER_MS}ms`,
        [index],
      );
    if (result.noStatus.length)
      violate(`${target.name}: gRPC stream(s) ${result.noStatus.join(",")} ended without a grpc-status`, [index]);
    if (!alive(target))
      violate(
        `${target.name} exited (${target.proxy.proc.exitCode ?? target.proxy.proc.signalCode}):\n${target.proxy.log().slice(-1500)}`,
        target.recent,
      );
  };
  const stopped = () => targets.some((t) => !alive(t)) || violations.length >= MAX_VIOLATIONS;
  const runFor = async (ms: number) => {
    const until = Date.now() + ms;
    let lastHealth = Date.now();
    const worker = async () => {
      while (Date.now() < until && !stopped()) {
        await runOne(next++);
        if (Date.now() - lastHealth > HEALTH_EVERY_MS) {
          lastHealth = Date.now();
          await checkHealth(targets, violate);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  };

  try {
    for (const name of ["a", "b", "vm"])
      fakes.push(
        await spawnFakeProcess({ socket: tempSocket(`fuzz-${name}`), pods: 3, containersPerPod: 2, images: 3 }),
      );
    targets.push({
      name: "one runtime",
      proxy: await startProxy(["--connect", fakes[0].socket]),
      peakRss: 0,
      recent: [],
    });
    targets.push({
      name: "primary + vm",
      proxy: await startProxy(["--connect", `${fakes[1].socket},vm:${fakes[2].socket}`]),
      peakRss: 0,
      recent: [],
    });
    for (const t of targets)
      await waitFor(async () => (await answersVersion(t), true), 10_000, `${t.name} answers Version`);

    let baseline: Reading[];
    if (opts.only !== undefined) {
      baseline = targets.map(reading);
      await runOne(opts.only);
      await checkHealth(targets, violate);
    } else {
      // Warm up (JIT, pools), then take the baseline with nothing in flight.
      const warmUp = Math.min(WARM_UP_MS, opts.seconds * 200);
      await runFor(warmUp);
      await Bun.sleep(500);
      baseline = targets.map(reading);
      log(
        `baseline after warm-up (${next} inputs): ${targets.map((t, i) => `${t.name} ${baseline[i].fds} fds, ${mib(baseline[i].rss)} MiB`).join("; ")}`,
      );
      await runFor(opts.seconds * 1000 - warmUp);
      log(`${next} inputs sent; settling`);
      if (!stopped()) await checkSettled(targets, baseline, violate);
    }
    return {
      seed: opts.seed,
      inputs: opts.only !== undefined ? 1 : next,
      byKind,
      streamsOwed,
      statuses,
      dropped,
      violations,
      targets: targets.map((t, i) => ({
        name: t.name,
        fds: [baseline[i].fds, alive(t) ? reading(t).fds : -1],
        rssMiB: [mib(baseline[i].rss), alive(t) ? mib(reading(t).rss) : -1],
        peakRssMiB: mib(t.peakRss),
        unexpectedFailures: (t.proxy.log().match(/unexpected failure/g) ?? []).length,
        unexpectedSamples: unexpectedFailures(t).slice(0, 5),
      })),
    };
  } finally {
    await Promise.all(targets.map((t) => t.proxy.stop()));
    await Promise.all(fakes.map((f) => f.kill()));
  }
}
