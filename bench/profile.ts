// Profiles the proxy under one cell's load, with nothing else running against it:
//   bun bench/profile.ts [--call ListContainers] [--conc 16] [--n 250] [--seconds 6] [--baseline grpc-go|fake]
//                        [--form source|bundle|compiled] [--merged] [--client http2|grpc-js] [--top 25]
// grpc-go (default): grpc-go runtimes and the grpc-go load client, as `bun run bench`;
// fake: the in-tree fakes and a JS client (--client).
// The proxy runs with `bun --cpu-prof`; the profile is written when it exits (SIGTERM) and
// summarized here by sample counts (the Markdown report Bun writes weighs samples by time
// deltas, which charges the idle gaps before a sample to it).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { startGrpcGoRuntime } from "../test/support/grpc-go-runtime.ts";
import { benchClient, prepare, waitAnswer, type ClientKind } from "./client.ts";
import { goLoadClient } from "./go-load.ts";
import {
  buildArtifacts,
  cpuSeconds,
  installCleanup,
  proxyCommand,
  startFake,
  startProxy,
  stop,
  stopAll,
  track,
  type Form,
} from "./procs.ts";

const { values } = parseArgs({
  options: {
    call: { type: "string", default: "ListContainers" },
    conc: { type: "string", default: "16" },
    n: { type: "string", default: "250" },
    seconds: { type: "string", default: "6" },
    form: { type: "string", default: "source" },
    merged: { type: "boolean", default: false },
    client: { type: "string", default: "http2" },
    baseline: { type: "string", default: "grpc-go" },
    top: { type: "string", default: "25" },
    interval: { type: "string", default: "250" },
  },
  strict: true,
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

installCleanup();
const n = Number(values.n);
const dir = mkdtempSync(join(tmpdir(), "criproxy-prof-"));
const outDir = join(import.meta.dir, "results", "profiles");
mkdirSync(outDir, { recursive: true });
const profDir = join(dir, "prof");
try {
  const artifacts = values.form === "source" ? { bundle: "", compiled: "" } : await buildArtifacts(dir);
  const goBase = values.baseline === "grpc-go";
  const runtime = (socket: string, pods: number, name: string) =>
    goBase ? startGrpcGoRuntime({ socket, name, containers: pods * 4, onSpawn: track }) : startFake(socket, pods, name);
  const [primary, named] = await Promise.all([
    runtime(join(dir, "p.sock"), n, "primary"),
    runtime(join(dir, "v.sock"), Math.round(n / 10), "vm"),
  ]);
  const connect = values.merged ? `unix://${primary.socket},vm:unix://${named.socket}` : `unix://${primary.socket}`;
  const px = await startProxy(proxyCommand(values.form as Form, artifacts, false), connect, join(dir, "px.sock"), [
    "--cpu-prof",
    `--cpu-prof-dir=${profDir}`,
    `--cpu-prof-interval=${values.interval}`,
  ]);
  const client = goBase ? await goLoadClient(px.socket) : benchClient(values.client as ClientKind, px.socket);
  const call = prepare(values.call!, values.call === "Version" ? { version: "0.1.0" } : {});
  await waitAnswer(client, call, 10_000);
  if (values.merged) await Bun.sleep(1000); // the named runtime connects in the background
  await client.round(call, Number(values.conc), 1000); // warm-up
  const cpu0 = cpuSeconds(px.proc.pid);
  const r = await client.round(call, Number(values.conc), Number(values.seconds) * 1000);
  const cpu = cpuSeconds(px.proc.pid) - cpu0;
  console.log(
    `${values.call} c${values.conc} N=${n}${values.merged ? " merged" : ""}: ${((r.calls / r.elapsedMs) * 1000).toFixed(0)} calls/s, proxy CPU ${((cpu * 1000) / r.calls).toFixed(3)} ms/call`,
  );
  client.close();
  await stop(px.proc, 10_000);
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("the proxy wrote no .cpuprofile");
  const kept = join(outDir, `${values.call}-c${values.conc}-n${n}${values.merged ? "-merged" : ""}-${basename(file)}`);
  await Bun.write(kept, Bun.file(join(profDir, file)));
  summarize(JSON.parse(readFileSync(kept, "utf8")) as CpuProfile, Number(values.top));
  console.log(`profile: ${kept}`);
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}

/** Prints the top functions by self and by inclusive sample count, idle and GC named as such. */
function summarize(profile: CpuProfile, top: number): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const name = (node: ProfileNode) => {
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/(src|node_modules)\//, "$1/")}:${f.lineNumber + 1}` : "";
    return `${f.functionName || "(anonymous)"} ${where}`.trim();
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    const leaf = name(node);
    if (leaf === "(idle)" || leaf === "(program)") continue;
    busy++;
    self.set(leaf, (self.get(leaf) ?? 0) + 1);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = name(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + 1);
    }
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title} (of ${busy} busy samples)`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${((v / busy) * 100).toFixed(1).padStart(5)}%  ${k}`);
  };
  console.log(`samples: ${profile.samples.length}, busy ${busy}`);
  print("self", self);
  print("inclusive", total);
}
