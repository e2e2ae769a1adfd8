// The second baseline (`--baseline fake`, issue 4's): the in-tree fake runtimes (protobuf-es
// encodes every answer) at N = 110, 250, 500 pods, driven by a JS client. Slower than a
// grpc-go runtime, so it hides part of the proxy's cost; kept to compare with earlier runs.
import { join } from "node:path";
import { runCell, type CellResult, type Side } from "./cells.ts";
import { benchClient, prepare, waitAnswer, type BenchClient, type ClientKind } from "./client.ts";
import { cpuSeconds, memoryMB, startFake, startProxy, stop, type FakeProcess, type ProxyProcess } from "./procs.ts";
import type { MemoryResult } from "./results.ts";
import { round } from "./stats.ts";

type Command = { cmd: string[]; env?: Record<string, string> };

export interface FakeBaselineOptions {
  readonly dir: string;
  readonly ns: number[];
  /** The proxy command, and the same with `--smol` for the memory run. */
  readonly command: Command;
  readonly smolCommand: Command;
  readonly proxyBunFlags: string[];
  readonly proxyFlags: string[];
  readonly client: ClientKind;
  readonly labels: readonly string[];
  readonly concs: number[];
  readonly rounds: number;
  readonly roundMs: number;
  readonly warmMs: number;
  readonly quick: boolean;
  readonly withMemory: boolean;
  readonly log: (s: string) => void;
}

/** The labels this baseline knows. */
export const FAKE_LABELS = [
  "Version",
  "ListPodSandbox",
  "ListContainers",
  "ListContainerStats",
  "merged ListContainers",
] as const;

/** kubelet's requests: Version names its CRI version; its relist lists with no filter. */
const CALLS = {
  Version: prepare("Version", { version: "0.1.0" }),
  ListPodSandbox: prepare("ListPodSandbox", {}),
  ListContainers: prepare("ListContainers", {}),
  ListContainerStats: prepare("ListContainerStats", {}),
};

/** Every cell at every N; the memory run at the last N. */
export async function runFakeBaseline(
  o: FakeBaselineOptions,
): Promise<{ cells: CellResult[]; memory: MemoryResult[] }> {
  const cells: CellResult[] = [];
  const memory: MemoryResult[] = [];
  for (const [i, n] of o.ns.entries()) {
    o.log(`N=${n}: starting fakes (${n} and ${Math.round(n / 10)} pods × 4 containers)`);
    const [primary, named] = await Promise.all([
      startFake(join(o.dir, `p${n}.sock`), n, "primary"),
      startFake(join(o.dir, `v${n}.sock`), Math.round(n / 10), "vm"),
    ]);
    try {
      cells.push(...(await load(o, n, primary, named)));
      if (o.withMemory && i === o.ns.length - 1) memory.push(...(await memoryRun(o, primary, named)));
    } finally {
      await Promise.all([stop(primary.proc), stop(named.proc)]);
    }
  }
  return { cells, memory };
}

async function load(
  o: FakeBaselineOptions,
  n: number,
  primary: FakeProcess,
  named: FakeProcess,
): Promise<CellResult[]> {
  const cells: CellResult[] = [];
  const single = await startProxy(
    o.command,
    `unix://${primary.socket}`,
    join(o.dir, `px${n}.sock`),
    o.proxyBunFlags,
    o.proxyFlags,
  );
  const merging = o.labels.includes("merged ListContainers")
    ? await startProxy(
        o.command,
        `unix://${primary.socket},vm:unix://${named.socket}`,
        join(o.dir, `pm${n}.sock`),
        o.proxyBunFlags,
        o.proxyFlags,
      )
    : undefined;
  const clients = {
    direct: benchClient(o.client, primary.socket),
    single: benchClient(o.client, single.socket),
    merging: merging && benchClient(o.client, merging.socket),
  };
  try {
    await Promise.all(
      [clients.direct, clients.single, clients.merging].map((c) => c && waitAnswer(c, CALLS.Version, 10_000)),
    );
    if (clients.merging) await waitMerged(o, clients.merging, primary.socket);
    const direct: Side = { client: clients.direct, process: primary.proc };
    for (const label of o.labels) {
      for (const c of o.concs) {
        const isMerged = label === "merged ListContainers";
        const call = isMerged ? CALLS.ListContainers : CALLS[label as keyof typeof CALLS];
        const proxy: Side = isMerged
          ? { client: clients.merging!, process: merging!.proc }
          : { client: clients.single, process: single.proc };
        const cell = await runCell({ n, label, call, concurrency: c, direct, proxy }, o.rounds, o.roundMs, o.warmMs);
        cells.push(cell);
        o.log(
          `N=${n} ${label} c${c}: direct ${cell.direct.callsPerSec.toFixed(0)}/s proxy ${cell.proxy.callsPerSec.toFixed(0)}/s ratio ${cell.ratio.toFixed(2)}`,
        );
      }
    }
    for (const [name, px] of [
      ["single", single],
      ["merging", merging],
    ] as const) {
      if (px) {
        const m = memoryMB(px.proc.pid);
        o.log(`N=${n} ${name} proxy: RSS ${m.rss.toFixed(1)} MB (high-water ${m.peak.toFixed(1)} MB)`);
      }
    }
  } finally {
    for (const c of Object.values(clients)) c?.close();
    await Promise.all([stop(single.proc), merging && stop(merging.proc)]);
  }
  return cells;
}

/** A fresh merging proxy, default and `--smol`, under every call at c16; RSS read after the load. */
async function memoryRun(o: FakeBaselineOptions, primary: FakeProcess, named: FakeProcess): Promise<MemoryResult[]> {
  const loadMs = o.quick ? 500 : 1000;
  const out: MemoryResult[] = [];
  for (const smol of [false, true]) {
    const variant = smol ? "merging --smol" : "merging";
    const px: ProxyProcess = await startProxy(
      smol ? o.smolCommand : o.command,
      `unix://${primary.socket},vm:unix://${named.socket}`,
      join(o.dir, `mem${smol ? "s" : ""}.sock`),
      [],
      o.proxyFlags,
    );
    const client = benchClient(o.client, px.socket);
    try {
      await waitAnswer(client, CALLS.Version, 10_000);
      await waitMerged(o, client, primary.socket);
      const cpu0 = cpuSeconds(px.proc.pid);
      let calls = 0;
      for (const call of Object.values(CALLS)) calls += (await client.round(call, 16, loadMs)).calls;
      const cpu = cpuSeconds(px.proc.pid) - cpu0;
      await Bun.sleep(500);
      const m = memoryMB(px.proc.pid);
      out.push({
        variant,
        rssMB: round(m.rss, 1),
        peakMB: round(m.peak, 1),
        cpuMsPerCall: round((cpu * 1000) / calls, 4),
      });
      o.log(`memory ${variant}: RSS ${round(m.rss, 1)} MB`);
    } finally {
      client.close();
      await stop(px.proc);
    }
  }
  return out;
}

/** Waits until the merging proxy's list includes the named runtime's containers (it connects in the background). */
async function waitMerged(o: FakeBaselineOptions, client: BenchClient, primarySocket: string): Promise<void> {
  const direct = benchClient(o.client, primarySocket);
  const single = (await direct.call(CALLS.ListContainers)).length;
  direct.close();
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if ((await client.call(CALLS.ListContainers)).length > single) return;
    await Bun.sleep(50);
  }
  throw new Error("the merging proxy never listed the named runtime's containers");
}
