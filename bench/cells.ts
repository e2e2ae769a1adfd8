// One benchmark cell: a call at a concurrency, direct and proxied in interleaved rounds.
import type { Subprocess } from "bun";
import type { BenchClient, PreparedCall, RoundResult } from "./client.ts";
import { cpuSeconds } from "./procs.ts";
import { median, percentile, round } from "./stats.ts";

/** The order of rounds: direct, proxy, proxy, direct, … so drift in machine load hits both sides alike. */
const PATTERN = ["direct", "proxy", "proxy", "direct"] as const;

export interface Side {
  readonly client: BenchClient;
  /** The process whose CPU this side's rounds charge: the fake runtime for direct, the proxy for proxied. */
  readonly process: Subprocess;
  /** Further processes whose CPU is counted (a named runtime behind a merging proxy). */
  readonly alsoCharged?: readonly Subprocess[];
}

export interface SideResult {
  /** Median over this side's rounds of calls per second. */
  readonly callsPerSec: number;
  readonly roundsCallsPerSec: number[];
  readonly calls: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU ms of `process` per call over the rounds = CPU seconds per 1000 calls. */
  readonly cpuMsPerCall: number;
  /** Size of one answer message, bytes (0 when the first call failed). */
  readonly answerBytes: number;
}

export interface CellResult {
  readonly n: number;
  readonly label: string;
  readonly method: string;
  readonly concurrency: number;
  readonly direct: SideResult;
  readonly proxy: SideResult;
  /** proxy.callsPerSec / direct.callsPerSec. */
  readonly ratio: number;
  /** proxy p50 / direct p50. */
  readonly p50Ratio: number;
}

export interface CellSpec {
  readonly n: number;
  readonly label: string;
  readonly call: PreparedCall;
  readonly concurrency: number;
  readonly direct: Side;
  readonly proxy: Side;
}

const cpuOf = (side: Side) => [side.process, ...(side.alsoCharged ?? [])].reduce((s, p) => s + cpuSeconds(p.pid), 0);

/** Runs one cell: warm-up on both sides, then `rounds` rounds of `roundMs` in the interleaved pattern. */
export async function runCell(spec: CellSpec, rounds: number, roundMs: number, warmMs: number): Promise<CellResult> {
  const sides = { direct: spec.direct, proxy: spec.proxy };
  const size = (side: Side) =>
    side.client.call(spec.call).then(
      (b) => b.length,
      () => 0,
    );
  const answerBytes = { direct: await size(spec.direct), proxy: await size(spec.proxy) };
  const done: Record<"direct" | "proxy", { round: RoundResult; cpu: number }[]> = { direct: [], proxy: [] };
  // A proxy that refuses the call (as a raw-path :authority once was) answers only errors: its timed warm-up
  // is the result, and its rounds are not spent hammering it.
  let refused = false;
  if (warmMs > 0 || answerBytes.proxy === 0) {
    await spec.direct.client.round(spec.call, spec.concurrency, warmMs);
    const cpu0 = cpuOf(spec.proxy);
    const warm = await spec.proxy.client.round(spec.call, spec.concurrency, Math.max(warmMs, 100));
    refused = warm.calls === 0 && warm.errors > 0;
    if (refused) done.proxy.push({ round: warm, cpu: cpuOf(spec.proxy) - cpu0 });
  }
  for (let r = 0; r < rounds; r++) {
    const which = PATTERN[r % PATTERN.length];
    if (which === "proxy" && refused) continue;
    const side = sides[which];
    const cpu0 = cpuOf(side);
    const round = await side.client.round(spec.call, spec.concurrency, roundMs);
    done[which].push({ round, cpu: cpuOf(side) - cpu0 });
  }
  const summarize = (which: "direct" | "proxy"): SideResult => {
    const rs = done[which];
    const perRound = rs.map(({ round: r }) => (r.calls / r.elapsedMs) * 1000);
    const latencies = rs.flatMap(({ round: r }) => r.latenciesMs);
    const calls = rs.reduce((s, { round: r }) => s + r.calls, 0);
    const cpu = rs.reduce((s, x) => s + x.cpu, 0);
    return {
      callsPerSec: round(median(perRound), 1),
      roundsCallsPerSec: perRound.map((x) => round(x, 1)),
      calls,
      errors: rs.reduce((s, { round: r }) => s + r.errors, 0),
      firstError: rs.find(({ round: r }) => r.firstError)?.round.firstError,
      p50Ms: round(percentile(latencies, 50), 3),
      p99Ms: round(percentile(latencies, 99), 3),
      cpuMsPerCall: round(calls ? (cpu * 1000) / calls : NaN, 4),
      answerBytes: answerBytes[which],
    };
  };
  const direct = summarize("direct");
  const proxy = summarize("proxy");
  return {
    n: spec.n,
    label: spec.label,
    method: spec.call.method,
    concurrency: spec.concurrency,
    direct,
    proxy,
    ratio: round(proxy.callsPerSec / direct.callsPerSec, 3),
    p50Ratio: round(proxy.p50Ms / direct.p50Ms, 3),
  };
}
