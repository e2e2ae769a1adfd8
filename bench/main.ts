// `bun run bench`: what the proxy costs against calling the runtime directly (issues 4, 13).
//
//   bun bench/main.ts [--quick] [--baseline grpc-go|fake] [--form compiled|bundle|source[,...]]
//                     [--only Version,ListContainers,merged-ListContainers,...] [--conc 1,16]
//                     [--rounds 10] [--round-ms 1200] [--proxy-flags="-v 1"]
//                     [--proxy-bun-flags="..."] [--skip startup,memory] [--svg out.svg] [--out FILE]
//                     [--smol] (the compiled binary has it built in; this adds it to every form)
//                     fake baseline only: [--n 110,250,500] [--client http2|grpc-js]
//
// grpc-go (default): grpc-go runtimes answering pre-encoded bytes and a grpc-go load client, as
// on a node (bench/go-baseline.ts); fake: the in-tree fakes and a JS client (bench/fake-baseline.ts).
// The proxy runs in its first --form (default: the compiled binary, as `bun run build` makes it).
// Prints the ratio table, start and memory, the targets met or missed, and a one-line summary;
// the run's JSON goes to bench/results/. Every process it starts is stopped at the end, even on error.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startGrpcGoRuntime } from "../test/support/grpc-go-runtime.ts";
import { whyMissing } from "../test/support/requires.ts";
import type { CellResult } from "./cells.ts";
import type { ClientKind } from "./client.ts";
import { FAKE_LABELS, runFakeBaseline } from "./fake-baseline.ts";
import { buildGoLoad } from "./go-load.ts";
import { runGoBaseline } from "./go-baseline.ts";
import {
  buildArtifacts,
  FORMS,
  installCleanup,
  proxyCommand,
  startFake,
  stop,
  stopAll,
  track,
  type Form,
} from "./procs.ts";
import { memoryLines, startupLines, summary, table } from "./report.ts";
import type { MemoryResult, StartupResult } from "./results.ts";
import { bunFloor, measureStartup } from "./startup.ts";
import { round } from "./stats.ts";
import { ratioChart } from "./svg.ts";
import { judge, ratioGoals, targetLines } from "./targets.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    baseline: { type: "string", default: "grpc-go" },
    form: { type: "string" },
    svg: { type: "string" },
    n: { type: "string" },
    only: { type: "string" },
    conc: { type: "string" },
    rounds: { type: "string" },
    "round-ms": { type: "string" },
    smol: { type: "boolean", default: false },
    "proxy-bun-flags": { type: "string" },
    "proxy-flags": { type: "string" },
    skip: { type: "string", default: "" },
    out: { type: "string" },
    client: { type: "string", default: "http2" },
  },
  strict: true,
});

const quick = values.quick!;
const baseline = values.baseline!;
if (baseline !== "grpc-go" && baseline !== "fake") throw new Error(`--baseline ${baseline}: expected grpc-go or fake`);
const goBase = baseline === "grpc-go";
const clientKind = values.client as ClientKind;
if (clientKind !== "http2" && clientKind !== "grpc-js")
  throw new Error(`--client ${clientKind}: expected http2 or grpc-js`);
const forms = (values.form ?? (goBase ? "compiled" : FORMS.join(","))).split(",") as Form[];
for (const f of forms) if (!FORMS.includes(f)) throw new Error(`--form ${f}: expected one of ${FORMS.join(", ")}`);
const loadForm = forms[0];
const ns = (values.n ?? (quick ? "250" : "110,250,500")).split(",").map(Number);
const concs = (values.conc ?? "1,16").split(",").map(Number);
// grpc-go: 5 rounds a side of 1.2 s. On a shared 2-core machine single rounds swing by 2x; a median
// of 5 short rounds holds better than one of 3 long ones, and the run stays within 5 minutes.
const rounds = Number(values.rounds ?? (goBase && !quick ? 10 : 4));
const roundMs = Number(values["round-ms"] ?? (quick ? 500 : goBase ? 1200 : 1500));
const warmMs = quick ? 150 : 300;
const startupReps = quick ? 3 : 10;
const skip = new Set(values.skip!.split(",").filter(Boolean));
const words = (s?: string) => s?.split(" ").filter(Boolean) ?? [];
const proxyBunFlags = words(values["proxy-bun-flags"]);
const proxyFlags = words(values["proxy-flags"]);
const only = values.only?.split(",");

installCleanup();
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const dir = mkdtempSync(join(tmpdir(), "criproxy-bench-"));
const t0 = performance.now();
const log = (s: string) =>
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${s}\n`);

const machine = {
  nproc: cpus().length,
  cpu: cpus()[0]?.model,
  memTotalGB: round(totalmem() / 2 ** 30, 1),
  memFreeGB: round(freemem() / 2 ** 30, 1),
  loadavgBefore: loadavg().map((x) => round(x, 2)),
  bun: Bun.version,
  commit: Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: join(import.meta.dir, "..") })
    .stdout.toString()
    .trim(),
};

let cells: CellResult[] = [];
let memory: MemoryResult[] = [];
let startup: StartupResult[] = [];
let built: Awaited<ReturnType<typeof buildArtifacts>> | undefined;

try {
  if (goBase) {
    const why = whyMissing("grpc-go");
    if (why) throw new Error(`${why} (or run the fake baseline: bun run bench --baseline fake)`);
  }
  log(`building ${forms.join(", ")}${goBase ? " and the grpc-go load client and runtime" : ""} into ${dir}`);
  [built] = await Promise.all([buildArtifacts(dir, forms), goBase && buildGoLoad()]);
  log(`built in ${built.seconds.toFixed(1)} s`);
  const command = proxyCommand(loadForm, built, values.smol!);
  if (!skip.has("startup")) {
    const variants = [
      ...forms.map((form) => ({ name: form, command: proxyCommand(form, built!, values.smol!) })),
      bunFloor,
    ];
    log(`startup: ${variants.map((v) => v.name).join(", ")} × ${startupReps}`);
    const socket = join(dir, "su-runtime.sock");
    const stopRuntime = goBase
      ? (await startGrpcGoRuntime({ socket, containers: 40, onSpawn: track })).stop
      : await startFake(socket, 10, "fake").then((fake) => () => stop(fake.proc));
    try {
      startup = await measureStartup(variants, socket, dir, startupReps, proxyFlags);
    } finally {
      await stopRuntime();
    }
  }
  const common = { dir, command, proxyBunFlags, proxyFlags, concs, rounds, roundMs, warmMs, log };
  ({ cells, memory } = goBase
    ? await runGoBaseline({ ...common, only })
    : await runFakeBaseline({
        ...common,
        ns,
        smolCommand: proxyCommand(loadForm, built, true),
        client: clientKind,
        labels: FAKE_LABELS.filter((l) => !only || only.includes(l) || only.includes(l.replace(" ", "-"))),
        quick,
        withMemory: !skip.has("memory"),
      }));
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}

const loadavgAfter = loadavg().map((x) => round(x, 2));
const ts = judge(cells, startup, memory, loadForm);
const line = summary(stamp, baseline, cells, startup, memory, ts);
const flags = [values.smol && "--smol", ...proxyFlags].filter(Boolean).join(" ");
console.log(
  `\nproxied/direct calls/s (baseline ${baseline}; medians of ${Math.ceil(rounds / 2)} rounds a side, ${roundMs} ms each; proxy: ${loadForm}${flags ? ` ${flags}` : ""})`,
);
console.log(table(cells));
if (startup.length)
  console.log(`\nstartup (exec to socket file; exec to first answered Version through it)\n${startupLines(startup)}`);
if (memory.length) console.log(`\nmemory (VmRSS, VmHWM from /proc)\n${memoryLines(memory)}`);
console.log(`\ntargets (issue 13)\n${targetLines(ts)}`);
console.log(
  `\nmachine: ${machine.nproc} cores (${machine.cpu}), ${machine.memTotalGB} GB, load ${machine.loadavgBefore.join(" ")} before, ${loadavgAfter.join(" ")} after; bun ${machine.bun}; commit ${machine.commit}`,
);

const resultsDir = join(import.meta.dir, "results");
mkdirSync(resultsDir, { recursive: true });
const outFile = values.out ?? join(resultsDir, `${stamp}.json`);
const settings = {
  baseline,
  quick,
  forms,
  loadForm,
  ns: goBase ? undefined : ns,
  concs,
  rounds,
  roundMs,
  warmMs,
  startupReps,
  smol: values.smol,
  proxyBunFlags,
  proxyFlags,
  only,
};
writeFileSync(
  outFile,
  `${JSON.stringify({ stamp, machine: { ...machine, loadavgAfter }, settings, build: built, cells, startup, memory, targets: ts, summary: line }, null, 2)}\n`,
);
if (values.svg) {
  const bars = cells.map((c) => ({ group: `${c.label} c${c.concurrency}`, series: `N=${c.n}`, ratio: c.ratio }));
  writeFileSync(
    values.svg,
    ratioChart(bars, ratioGoals(), `criproxy: proxied/direct calls/s (${baseline}, ${machine.nproc} cores, ${stamp})`),
  );
  console.log(`chart: ${values.svg}`);
}
console.log(`results: ${outFile}\n${line}`);
process.exit(0);
