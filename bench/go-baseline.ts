// The default baseline (issue 13): what a node runs. grpc-go runtimes answering pre-encoded
// bytes (test/support/grpc-go-runtime), the proxy in its compiled form, a grpc-go load client
// per target (bench/grpc-go-load), and a bare node:http2 pass-through as the floor. Every cell
// runs direct and through its target in interleaved rounds, in one run.
import type { Subprocess } from "bun";
import { join } from "node:path";
import { startGrpcGoRuntime, type GrpcGoRuntime } from "../test/support/grpc-go-runtime.ts";
import { runCell, type CellResult, type Side } from "./cells.ts";
import { prepare, type BenchClient, type PreparedCall } from "./client.ts";
import { goLoadClient } from "./go-load.ts";
import { memoryMB, startProxy, stop, track, type ProxyProcess } from "./procs.ts";
import type { MemoryResult } from "./results.ts";
import { round } from "./stats.ts";

/** kubelet's node: 250 pods × 4 containers on the primary; the named runtime has a tenth. */
export const PODS = 250;
const PER_POD = 4;
const AFTER_LOAD_MS = 5000;

export interface GoBaselineOptions {
  readonly dir: string;
  /** How the proxy is started (the load form). */
  readonly command: { cmd: string[]; env?: Record<string, string> };
  readonly proxyBunFlags: string[];
  /** Extra criproxy flags for every proxy (e.g. --stale-grace 30s). */
  readonly proxyFlags: string[];
  readonly concs: number[];
  readonly rounds: number;
  readonly roundMs: number;
  readonly warmMs: number;
  /** Cell labels to run (default: all but ListPodSandbox). */
  readonly only?: string[];
  readonly log: (s: string) => void;
}

type Target = "single" | "singleRaw" | "merging" | "floor";
/** The process a target's calls reach: raw-authority calls go to the single-runtime proxy. */
const procOf = (t: Target) => (t === "singleRaw" ? "single" : t);
interface Plan {
  readonly label: string;
  readonly call: PreparedCall;
  readonly concs: number[];
  readonly target: Target;
}

const CALLS = {
  Version: prepare("Version", { version: "0.1.0" }),
  ListPodSandbox: prepare("ListPodSandbox", {}),
  ListContainers: prepare("ListContainers", {}),
  // kubelet's image-user lookup (getImageUser): a bare name, no pod hint; with a named runtime
  // configured it is decoded to be routed, and must still cost the primary's pods no round trip.
  ImageStatus: prepare("ImageStatus", { image: { image: "docker.io/library/busybox:1.36" } }),
};

/** The cells in run order; each target's cells are contiguous, so its memory is read right after its load. */
export function plan(concs: number[], only?: string[]): Plan[] {
  const all: Plan[] = [
    { label: "Version", call: CALLS.Version, concs, target: "single" },
    { label: "ListPodSandbox", call: CALLS.ListPodSandbox, concs, target: "single" },
    { label: "ListContainers", call: CALLS.ListContainers, concs, target: "single" },
    // grpc-go < 1.58 (kubelet 1.26-1.28) sends the raw socket path as :authority.
    { label: "raw-authority Version", call: CALLS.Version, concs: [1], target: "singleRaw" },
    { label: "raw-authority ListContainers", call: CALLS.ListContainers, concs: [1], target: "singleRaw" },
    { label: "merged ListContainers", call: CALLS.ListContainers, concs, target: "merging" },
    { label: "merged ImageStatus", call: CALLS.ImageStatus, concs: [1], target: "merging" },
    { label: "floor Version", call: CALLS.Version, concs, target: "floor" },
    { label: "floor ListContainers", call: CALLS.ListContainers, concs, target: "floor" },
  ];
  const wanted = (label: string) =>
    only ? only.some((o) => o === label || o === label.replace(/ /g, "-")) : label !== "ListPodSandbox";
  return all.filter((p) => wanted(p.label));
}

/** Runs every planned cell; returns the cells and each target's memory after its load. */
export async function runGoBaseline(o: GoBaselineOptions): Promise<{ cells: CellResult[]; memory: MemoryResult[] }> {
  const cells: CellResult[] = [];
  const memory: Promise<MemoryResult>[] = [];
  const steps = plan(o.concs, o.only);
  const needs = new Set(steps.map((s) => s.target));
  const onSpawn = (p: Subprocess) => void track(p);
  o.log(`grpc-go runtimes: ${PODS * PER_POD} and ${(PODS / 10) * PER_POD} containers`);
  const [primary, named]: GrpcGoRuntime[] = await Promise.all([
    startGrpcGoRuntime({
      socket: join(o.dir, "rt-primary.sock"),
      name: "grpc-go",
      containers: PODS * PER_POD,
      containersPerPod: PER_POD,
      onSpawn,
    }),
    startGrpcGoRuntime({
      socket: join(o.dir, "rt-vm.sock"),
      name: "vm",
      containers: (PODS / 10) * PER_POD,
      containersPerPod: PER_POD,
      onSpawn,
    }),
  ]);
  const start = (connect: string, name: string) =>
    startProxy(o.command, connect, join(o.dir, `${name}.sock`), o.proxyBunFlags, o.proxyFlags);
  const procs: Partial<Record<"single" | "merging" | "floor", ProxyProcess>> = {};
  const clients: BenchClient[] = [];
  const side = async (socket: string, process: Subprocess, rawAuthority = false): Promise<Side> => {
    const client = await goLoadClient(socket, { rawAuthority });
    clients.push(client);
    return { client, process };
  };
  try {
    if (needs.has("single") || needs.has("singleRaw")) procs.single = await start(`unix://${primary.socket}`, "single");
    if (needs.has("merging"))
      procs.merging = await start(`unix://${primary.socket},vm:unix://${named.socket}`, "merging");
    if (needs.has("floor"))
      procs.floor = await startProxy(
        { cmd: [process.execPath, join(import.meta.dir, "pass-through.ts")] },
        primary.socket,
        join(o.dir, "floor.sock"),
      );
    const direct = await side(primary.socket, primary.proc);
    const directRaw = needs.has("singleRaw") ? await side(primary.socket, primary.proc, true) : direct;
    const sides: Partial<Record<Target, Side>> = {};
    for (const t of needs) {
      const px = procs[procOf(t)]!;
      sides[t] = await side(px.socket, px.proc, t === "singleRaw");
    }
    if (sides.merging) await waitMerged(sides.merging.client, direct.client);
    // The proxy's JIT warms on its first thousands of calls: every target gets each of its calls
    // before any cell, so the first cell is not charged for it.
    const warmTargetMs = o.warmMs * 4;
    o.log(`warming every target: ${warmTargetMs} ms per call at c16`);
    for (const step of steps) {
      const c = sides[step.target]!.client;
      if (
        await c.call(step.call).then(
          () => true,
          () => false,
        )
      )
        await c.round(step.call, 16, warmTargetMs); // not a refusing target
    }
    for (const [i, step] of steps.entries()) {
      for (const c of step.concs) {
        const d = step.target === "singleRaw" ? directRaw : direct;
        const cell = await runCell(
          { n: PODS, label: step.label, call: step.call, concurrency: c, direct: d, proxy: sides[step.target]! },
          o.rounds,
          o.roundMs,
          o.warmMs,
        );
        cells.push(cell);
        const errors = cell.proxy.errors ? ` (${cell.proxy.errors} errors: ${cell.proxy.firstError})` : "";
        o.log(
          `${step.label} c${c}: direct ${cell.direct.callsPerSec.toFixed(0)}/s, through ${step.target} ${cell.proxy.callsPerSec.toFixed(0)}/s, ratio ${cell.ratio.toFixed(2)}${errors}`,
        );
      }
      const name = procOf(step.target);
      if (!steps.slice(i + 1).some((s) => procOf(s.target) === name)) {
        const reading = afterLoad(name, procs[name]!.proc);
        reading.catch(() => {}); // a run that fails before it is read stops the process under it
        memory.push(reading);
      }
    }
    return { cells, memory: await Promise.all(memory) };
  } finally {
    for (const c of clients) c.close();
    await Promise.all([...Object.values(procs).map((p) => stop(p.proc)), primary.stop(), named.stop()]);
  }
}

/** RSS and high-water mark now, and RSS again after AFTER_LOAD_MS of rest (other cells may run meanwhile). */
async function afterLoad(variant: string, proc: Subprocess): Promise<MemoryResult> {
  const now = memoryMB(proc.pid);
  await Bun.sleep(AFTER_LOAD_MS);
  const later = memoryMB(proc.pid);
  return { variant, rssMB: round(now.rss, 1), peakMB: round(later.peak, 1), rssAfter5sMB: round(later.rss, 1) };
}

/** Waits until the merging proxy's list is longer than the primary's alone (the named runtime connects in the background). */
async function waitMerged(merging: BenchClient, direct: BenchClient): Promise<void> {
  const single = (await direct.call(CALLS.ListContainers)).length;
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if ((await merging.call(CALLS.ListContainers).catch(() => Buffer.alloc(0))).length > single) return;
    await Bun.sleep(50);
  }
  throw new Error("the merging proxy never listed the named runtime's containers");
}
