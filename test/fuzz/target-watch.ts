// The fuzzed proxies' health: alive, answering Version, fds and RSS against a baseline.
import { fdCount, rssBytes } from "../faults/fault-support.ts";
import { criClient } from "../support/grpc-client.ts";
import type { ProxyProcess } from "../support/proxy-process.ts";
import { waitFor } from "../support/wait.ts";

/** A connection's fd and its socket pair settle after the client goes: allowed leftover. */
export const FD_SLACK = 8;
/** RSS may grow this much over a run (allocator pools, JIT); more is a leak. */
export const RSS_SLACK_MIB = 96;
const MiB = 1024 * 1024;

export interface Target {
  readonly name: string;
  readonly proxy: ProxyProcess;
  peakRss: number;
  /** Indexes of the latest inputs sent to it (blame when it stops answering). */
  readonly recent: number[];
}

export interface Reading {
  readonly fds: number;
  readonly rss: number;
}

/** Reports a violation and the inputs to blame. */
export type Violate = (what: string, blame: readonly number[]) => void;

/** True while the process runs. */
export function alive(t: Target): boolean {
  return t.proxy.proc.exitCode === null && t.proxy.proc.signalCode === null;
}

/** Its open fds and RSS now. */
export function reading(t: Target): Reading {
  return { fds: fdCount(t.proxy.proc.pid!), rss: rssBytes(t.proxy.proc.pid!) };
}

/** Resolves when it answers Version (3 s deadline); rejects with the call's error. */
export async function answersVersion(t: Target): Promise<void> {
  const client = criClient(t.proxy.socket, { deadlineMs: 3000 });
  try {
    await client.call("Version");
  } finally {
    client.close();
  }
}

/** Every live target answers Version; samples RSS for the peak. */
export async function checkHealth(targets: readonly Target[], violate: Violate): Promise<void> {
  for (const t of targets) {
    if (!alive(t)) continue;
    t.peakRss = Math.max(t.peakRss, rssBytes(t.proxy.proc.pid!));
    await answersVersion(t).catch((e: Error) => violate(`${t.name} did not answer Version: ${e.message}`, t.recent));
  }
}

/** With nothing in flight: fds back to the baseline (within slack), RSS within its slack, Version answered. */
export async function checkSettled(
  targets: readonly Target[],
  baseline: readonly Reading[],
  violate: Violate,
): Promise<void> {
  await Bun.sleep(2000); // closed connections and freed buffers settle
  for (const [i, t] of targets.entries()) {
    if (!alive(t)) continue;
    const fdsBack = await waitFor(() => reading(t).fds <= baseline[i].fds + FD_SLACK, 5000).then(
      () => true,
      () => false,
    );
    if (!fdsBack)
      violate(`${t.name}: open fds grew from ${baseline[i].fds} to ${reading(t).fds} (allowed +${FD_SLACK})`, t.recent);
    const rss = reading(t).rss;
    t.peakRss = Math.max(t.peakRss, rss);
    if (rss > baseline[i].rss + RSS_SLACK_MIB * MiB)
      violate(
        `${t.name}: RSS grew from ${mib(baseline[i].rss)} to ${mib(rss)} MiB (allowed +${RSS_SLACK_MIB})`,
        t.recent,
      );
  }
  await checkHealth(targets, violate);
}

/** Bytes in MiB, one decimal. */
export function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}

/** The distinct first lines of what the proxy logged as its own unexpected failures. */
export function unexpectedFailures(t: Target): string[] {
  const lines = t.proxy
    .log()
    .split("\n")
    .filter((l) => l.includes("unexpected failure"));
  return [...new Set(lines.map((l) => l.replace(/^\S+ \S+\s+\d+ /, "")))];
}
