// What a change costs, per call: two criproxy binaries (A: before, B: after) against the same
// grpc-go runtimes and load client as `bun run bench`, in interleaved rounds (A, B, B, A, …) in
// one run, so that the machine's drift hits both alike. Two separate bench runs on a 2-core
// machine differ by more than the 2-5% a change is held to; the floor rows alone move 10-40%.
//   bun bench/ab.ts --a BIN --b BIN [--only Version,ListContainers,merged-ListContainers]
//                   [--conc 1,16] [--rounds 10] [--round-ms 1000] [--a-flags="..."] [--b-flags="..."]
// BIN: a compiled criproxy (`bun run build` in each checkout: dist/criproxy). Prints per cell
// B's calls/s over A's, and each side's proxy CPU ms per call; B/A < 1 is B slower.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startGrpcGoRuntime } from "../test/support/grpc-go-runtime.ts";
import { type CellResult, runCell } from "./cells.ts";
import { type BenchClient, prepare } from "./client.ts";
import { PODS } from "./go-baseline.ts";
import { goLoadClient } from "./go-load.ts";
import { installCleanup, type ProxyProcess, startProxy, stop } from "./procs.ts";

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    only: { type: "string", default: "Version,ListContainers,merged-Version,merged-ListContainers" },
    conc: { type: "string", default: "1,16" },
    rounds: { type: "string", default: "10" },
    "round-ms": { type: "string", default: "1000" },
    "a-flags": { type: "string", default: "" },
    "b-flags": { type: "string", default: "" },
  },
  strict: true,
});
if (!values.a || !values.b) throw new Error("--a BIN and --b BIN: the two compiled proxies to compare");

const CALLS = {
  Version: prepare("Version", { version: "0.1.0" }),
  ListContainers: prepare("ListContainers", {}),
};
const flags = (s: string) => s.split(" ").filter(Boolean);
const concs = values.conc!.split(",").map(Number);
const rounds = Number(values.rounds);
const roundMs = Number(values["round-ms"]);

installCleanup();
const dir = mkdtempSync(join(tmpdir(), "criproxy-ab-"));
const started: { stop(): Promise<unknown> }[] = [];
const clients: BenchClient[] = [];
try {
  // As the bench's node: 250 pods × 4 containers on the primary, a tenth on the named runtime.
  const primary = await startGrpcGoRuntime({
    socket: join(dir, "p.sock"),
    name: "grpc-go",
    containers: PODS * 4,
    containersPerPod: 4,
  });
  started.push(primary);
  const vm = await startGrpcGoRuntime({
    socket: join(dir, "vm.sock"),
    name: "vm",
    containers: (PODS / 10) * 4,
    containersPerPod: 4,
  });
  started.push(vm);
  const proxies: Record<string, ProxyProcess> = {};
  for (const [side, bin, extra] of [
    ["a", values.a, values["a-flags"]!],
    ["b", values.b, values["b-flags"]!],
  ] as const) {
    for (const [target, connect] of [
      ["single", `unix://${primary.socket}`],
      ["merged", `unix://${primary.socket},vm:unix://${vm.socket}`],
    ] as const) {
      const p = await startProxy({ cmd: [bin] }, connect, join(dir, `${side}-${target}.sock`), [], flags(extra));
      started.push({ stop: () => stop(p.proc) });
      proxies[`${side}-${target}`] = p;
    }
  }
  const sideOf = async (key: string) => {
    const client = await goLoadClient(proxies[key].socket);
    clients.push(client);
    return { client, process: proxies[key].proc };
  };
  const cells: CellResult[] = [];
  for (const label of values.only!.split(",")) {
    const merged = label.startsWith("merged-");
    const call = CALLS[label.replace("merged-", "") as keyof typeof CALLS];
    if (!call) throw new Error(`--only ${label}: expected Version, ListContainers or merged-…`);
    const target = merged ? "merged" : "single";
    const [a, b] = [await sideOf(`a-${target}`), await sideOf(`b-${target}`)];
    await Promise.all([a.client.round(call, 16, 2000), b.client.round(call, 16, 2000)]); // both JITs warm
    for (const c of concs) {
      const cell = await runCell(
        { n: PODS, label, call, concurrency: c, direct: a, proxy: b },
        rounds,
        roundMs,
        Math.min(roundMs, 500),
      );
      cells.push(cell);
      console.log(
        `${`${label} c${c}`.padEnd(28)} A ${cell.direct.callsPerSec.toFixed(0).padStart(6)}/s ${cell.direct.cpuMsPerCall.toFixed(3)} ms cpu   B ${cell.proxy.callsPerSec.toFixed(0).padStart(6)}/s ${cell.proxy.cpuMsPerCall.toFixed(3)} ms cpu   B/A calls ${cell.ratio.toFixed(3)}  cpu ${(cell.proxy.cpuMsPerCall / cell.direct.cpuMsPerCall).toFixed(3)}  rounds A ${cell.direct.roundsCallsPerSec.map((x) => x.toFixed(0)).join("/")} B ${cell.proxy.roundsCallsPerSec.map((x) => x.toFixed(0)).join("/")}`,
      );
    }
  }
} finally {
  for (const c of clients) c.close();
  for (const s of started.reverse()) await s.stop();
  rmSync(dir, { recursive: true, force: true });
}
