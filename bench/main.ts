// `bun run bench`: what the proxy costs against a direct call, at node scale (issue 4).
//
//   bun bench/main.ts [--quick] [--form bundle|source|compiled[,...]] [--svg out.svg]
//                     [--n 110,250,500] [--only Version,ListContainers,...] [--conc 1,16]
//                     [--rounds 4] [--round-ms 1500] [--smol] [--proxy-bun-flags "..."]
//                     [--skip startup,memory] [--client http2|grpc-js] [--out FILE]
//
// Starts fake runtimes (test/fake/main.ts, N pods × 4 containers with kubelet's labels)
// and the proxy as its own process (the first --form; default the bundle, as it runs on a
// node), drives both with a grpc-js client in interleaved rounds (direct, proxy, proxy,
// direct), and prints the ratio table, the targets and a one-line summary; the run's JSON
// goes to bench/results/. Every process it starts is stopped at the end, even on error.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runCell, type CellResult, type Side } from "./cells.ts";
import { benchClient, prepare, runRound, waitAnswer, type BenchClient, type ClientKind } from "./client.ts";
import {
  buildArtifacts, cpuSeconds, FORMS, installCleanup, memoryMB, proxyCommand, startFake, startProxy, stop, stopAll,
  type Artifacts, type FakeProcess, type Form, type ProxyProcess,
} from "./procs.ts";
import { startupLines, summary, table, targetLines, targets, type MemoryResult, type StartupResult } from "./report.ts";
import { median, round } from "./stats.ts";
import { ratioChart } from "./svg.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    form: { type: "string" },
    svg: { type: "string" },
    n: { type: "string" },
    only: { type: "string" },
    conc: { type: "string" },
    rounds: { type: "string" },
    "round-ms": { type: "string" },
    smol: { type: "boolean", default: false },
    "proxy-bun-flags": { type: "string" },
    skip: { type: "string", default: "" },
    out: { type: "string" },
    client: { type: "string", default: "http2" },
  },
  strict: true,
});

const quick = values.quick!;
const clientKind = values.client as ClientKind;
if (clientKind !== "http2" && clientKind !== "grpc-js") throw new Error(`--client ${clientKind}: expected http2 or grpc-js`);
const newClient = (socket: string) => benchClient(clientKind, socket);
const forms = (values.form ?? FORMS.join(",")).split(",") as Form[];
for (const f of forms) if (!FORMS.includes(f)) throw new Error(`--form ${f}: expected one of ${FORMS.join(", ")}`);
const loadForm = forms[0];
const ns = (values.n ?? (quick ? "250" : "110,250,500")).split(",").map(Number);
const concs = (values.conc ?? "1,16").split(",").map(Number);
const rounds = Number(values.rounds ?? 4);
const roundMs = Number(values["round-ms"] ?? (quick ? 500 : 1500));
const warmMs = quick ? 150 : 300;
const startupReps = quick ? 3 : 10;
const skip = new Set(values.skip!.split(",").filter(Boolean));
const proxyBunFlags = values["proxy-bun-flags"]?.split(" ").filter(Boolean) ?? [];
const LABELS = ["Version", "ListPodSandbox", "ListContainers", "ListContainerStats", "merged ListContainers"] as const;
const only = values.only?.split(",");
const labels = LABELS.filter((l) => !only || only.includes(l) || only.includes(l.replace(" ", "-")));

/** kubelet's requests: Version names its CRI version; its relist lists with no filter. */
const CALLS = {
  Version: prepare("Version", { version: "0.1.0" }),
  ListPodSandbox: prepare("ListPodSandbox", {}),
  ListContainers: prepare("ListContainers", {}),
  ListContainerStats: prepare("ListContainerStats", {}),
};

installCleanup();
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const dir = mkdtempSync(join(tmpdir(), "criproxy-bench-"));
const t0 = performance.now();
const log = (s: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${s}\n`);

const machine = {
  nproc: cpus().length,
  cpu: cpus()[0]?.model,
  memTotalGB: round(totalmem() / 2 ** 30, 1),
  memFreeGB: round(freemem() / 2 ** 30, 1),
  loadavgBefore: loadavg().map((x) => round(x, 2)),
  bun: Bun.version,
  commit: Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: join(import.meta.dir, "..") }).stdout.toString().trim(),
};

const cells: CellResult[] = [];
const startup: StartupResult[] = [];
const memory: MemoryResult[] = [];
const afterLoad: { n: number; proxy: string; rssMB: number; peakMB: number }[] = [];
let built: Awaited<ReturnType<typeof buildArtifacts>> | undefined;

try {
  log(`building bundle and compiled binary into ${dir}`);
  built = await buildArtifacts(dir);
  log(`built in ${built.seconds.toFixed(1)} s (bundle ${built.bundleMB.toFixed(1)} MB, compiled ${built.compiledMB.toFixed(1)} MB)`);
  if (!skip.has("startup")) await measureStartup(built);
  for (const n of ns) await measureLoad(n, built, n === ns[ns.length - 1] && !skip.has("memory"));
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}

const loadavgAfter = loadavg().map((x) => round(x, 2));
const ts = targets(cells, startup, memory, loadForm);
const line = summary(stamp, cells, startup, memory, ts);
console.log(`\nratios proxied/direct (calls/s medians of ${rounds / 2} rounds each side, ${roundMs} ms rounds, proxy form: ${loadForm}${values.smol ? " --smol" : ""}, client: ${clientKind})`);
console.log(table(cells));
if (startup.length) console.log(`\nstartup (spawn to socket file; spawn to first answered Version through it)\n${startupLines(startup)}`);
if (afterLoad.length) console.log(`\nproxy RSS after each N's load\n${afterLoad.map((a) => `  N=${a.n} ${a.proxy.padEnd(7)} RSS ${a.rssMB.toFixed(1)} MB (peak ${a.peakMB.toFixed(1)} MB)`).join("\n")}`);
if (memory.length) console.log(`\nmemory run (merging proxy, every call at c16, N=${ns[ns.length - 1]})\n${memory.map((m) => `  ${m.variant.padEnd(14)} RSS ${m.rssMB.toFixed(1)} MB (peak ${m.peakMB.toFixed(1)} MB), ${m.cpuMsPerCall.toFixed(3)} CPU s per 1000 calls`).join("\n")}`);
console.log(`\ntargets (issue 4)\n${targetLines(ts)}`);
console.log(`\nmachine: ${machine.nproc} cores (${machine.cpu}), ${machine.memTotalGB} GB, load ${machine.loadavgBefore.join(" ")} before, ${loadavgAfter.join(" ")} after; bun ${machine.bun}; commit ${machine.commit}`);

const resultsDir = join(import.meta.dir, "results");
mkdirSync(resultsDir, { recursive: true });
const outFile = values.out ?? join(resultsDir, `${stamp}.json`);
const settings = { client: clientKind, quick, forms, loadForm, ns, concs, rounds, roundMs, warmMs, startupReps, smol: values.smol, proxyBunFlags, labels };
writeFileSync(outFile, JSON.stringify({ stamp, machine: { ...machine, loadavgAfter }, settings, build: built, cells, startup, afterLoad, memory, targets: ts, summary: line }, null, 2) + "\n");
if (values.svg) {
  const bars = cells.map((c) => ({ group: `${c.label} c${c.concurrency}`, series: `N=${c.n}`, ratio: c.ratio }));
  const goals = new Map<string, number>([["Version c1", 0.5], ["Version c16", 0.8], ["ListContainers c1", 0.7], ["ListContainers c16", 0.7], ["merged ListContainers c1", 1 / 1.5], ["merged ListContainers c16", 1 / 1.5]]);
  writeFileSync(values.svg, ratioChart(bars, goals, `criproxy: proxied/direct calls/s (${machine.nproc} cores, ${stamp})`));
  console.log(`chart: ${values.svg}`);
}
console.log(`results: ${outFile}\n${line}`);
process.exit(0);

/** Startup of each form (and the bare-Bun floor), interleaved, `startupReps` times. */
async function measureStartup(artifacts: Artifacts): Promise<void> {
  const fake = await startFake(join(dir, "su-fake.sock"), 10, "fake");
  const variants: { name: string; command: { cmd: string[]; env?: Record<string, string> } }[] = [
    ...forms.map((form) => ({ name: form, command: proxyCommand(form, artifacts, values.smol!) })),
    { name: "bun floor", command: { cmd: [process.execPath, join(import.meta.dir, "floor.ts")] } },
  ];
  const samples = new Map(variants.map((v) => [v.name, { ready: [] as number[], first: [] as number[] }]));
  log(`startup: ${variants.map((v) => v.name).join(", ")} × ${startupReps}`);
  for (let rep = 0; rep < startupReps; rep++) {
    for (const v of variants) {
      const socket = join(dir, `su-${rep}-${v.name.replace(" ", "-")}.sock`);
      const px = await startProxy(v.command, `unix://${fake.socket}`, socket);
      const client = newClient(socket);
      try {
        await waitAnswer(client, CALLS.Version, 10_000);
        const s = samples.get(v.name)!;
        s.ready.push(round(px.readyMs, 2));
        s.first.push(round(performance.now() - px.spawnedAt, 2));
      } finally {
        client.close();
        await stop(px.proc);
      }
    }
  }
  for (const [form, s] of samples) {
    startup.push({ form, readyMs: s.ready, firstCallMs: s.first, medianReadyMs: round(median(s.ready), 1), medianFirstCallMs: round(median(s.first), 1) });
  }
  await stop(fake.proc);
}

/** Every cell at N pods: a primary fake, a named fake with 10% of the containers, a plain and a merging proxy. */
async function measureLoad(n: number, artifacts: Artifacts, withMemory: boolean): Promise<void> {
  log(`N=${n}: starting fakes (${n} and ${Math.round(n / 10)} pods × 4 containers)`);
  const [primary, named] = await Promise.all([startFake(join(dir, `p${n}.sock`), n, "primary"), startFake(join(dir, `v${n}.sock`), Math.round(n / 10), "vm")]);
  const command = proxyCommand(loadForm, artifacts, values.smol!);
  const single = await startProxy(command, `unix://${primary.socket}`, join(dir, `px${n}.sock`), proxyBunFlags);
  const merging = labels.includes("merged ListContainers")
    ? await startProxy(command, `unix://${primary.socket},vm:unix://${named.socket}`, join(dir, `pm${n}.sock`), proxyBunFlags)
    : undefined;
  const clients = {
    direct: newClient(primary.socket),
    single: newClient(single.socket),
    merging: merging ? newClient(merging.socket) : undefined,
  };
  try {
    await Promise.all([clients.direct, clients.single, clients.merging].map((c) => c && waitAnswer(c, CALLS.Version, 10_000)));
    if (clients.merging) await waitMerged(clients.merging, primary.socket);
    const direct: Side = { client: clients.direct, process: primary.proc };
    for (const label of labels) {
      for (const c of concs) {
        const isMerged = label === "merged ListContainers";
        const call = isMerged ? CALLS.ListContainers : CALLS[label];
        const proxy: Side = isMerged
          ? { client: clients.merging!, process: merging!.proc }
          : { client: clients.single, process: single.proc };
        const cell = await runCell({ n, label, call, concurrency: c, direct, proxy }, rounds, roundMs, warmMs);
        cells.push(cell);
        log(`N=${n} ${label} c${c}: direct ${cell.direct.callsPerSec.toFixed(0)}/s proxy ${cell.proxy.callsPerSec.toFixed(0)}/s ratio ${cell.ratio.toFixed(2)}`);
      }
    }
    for (const [name, px] of [["single", single], ["merging", merging]] as const) {
      if (px) afterLoad.push({ n, proxy: name, ...rounded(memoryMB(px.proc.pid)) });
    }
  } finally {
    for (const c of Object.values(clients)) c?.close();
    await Promise.all([stop(single.proc), merging && stop(merging.proc)]);
  }
  if (withMemory) await measureMemory(n, artifacts, primary, named);
  await Promise.all([stop(primary.proc), stop(named.proc)]);
}

/** A fresh merging proxy, default and `--smol`, under every call at c16; RSS read after the load. */
async function measureMemory(n: number, artifacts: Artifacts, primary: FakeProcess, named: FakeProcess): Promise<void> {
  const loadMs = quick ? 500 : 1000;
  for (const smol of [false, true]) {
    const variant = `${loadForm}${smol ? " --smol" : ""}`;
    const px: ProxyProcess = await startProxy(proxyCommand(loadForm, artifacts, smol), `unix://${primary.socket},vm:unix://${named.socket}`, join(dir, `mem${smol ? "s" : ""}.sock`));
    const client = newClient(px.socket);
    try {
      await waitAnswer(client, CALLS.Version, 10_000);
      await waitMerged(client, primary.socket);
      const cpu0 = cpuSeconds(px.proc.pid);
      let calls = 0;
      for (const call of Object.values(CALLS)) calls += (await runRound(client, call, 16, loadMs)).calls;
      const cpu = cpuSeconds(px.proc.pid) - cpu0;
      await Bun.sleep(500);
      memory.push({ variant, ...rounded(memoryMB(px.proc.pid)), cpuMsPerCall: round((cpu * 1000) / calls, 4) });
      log(`memory ${variant}: RSS ${memory[memory.length - 1].rssMB} MB`);
    } finally {
      client.close();
      await stop(px.proc);
    }
  }
}

/** Waits until the merging proxy's list includes the named runtime's containers (it connects in the background). */
async function waitMerged(client: BenchClient, primarySocket: string): Promise<void> {
  const direct = newClient(primarySocket);
  const single = (await direct.call(CALLS.ListContainers)).length;
  direct.close();
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if ((await client.call(CALLS.ListContainers)).length > single) return;
    await Bun.sleep(50);
  }
  throw new Error("the merging proxy never listed the named runtime's containers");
}

function rounded(m: { rss: number; peak: number }) {
  return { rssMB: round(m.rss, 1), peakMB: round(m.peak, 1) };
}
