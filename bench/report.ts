// What a run prints: the ratio table, the targets of issue 4 judged, the one-line summary.
import type { CellResult } from "./cells.ts";
import { median, round } from "./stats.ts";

export interface StartupResult {
  readonly form: string;
  readonly readyMs: number[];
  readonly firstCallMs: number[];
  readonly medianReadyMs: number;
  readonly medianFirstCallMs: number;
}

export interface MemoryResult {
  readonly variant: string;
  readonly rssMB: number;
  readonly peakMB: number;
  /** CPU ms of the proxy per call over the memory run's load. */
  readonly cpuMsPerCall: number;
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly value: number;
  readonly met: boolean;
}

const pad = (s: string | number, w: number) => String(s).padStart(w);
const padEnd = (s: string | number, w: number) => String(s).padEnd(w);
const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "-");

/** The ratio table, one line per cell. */
export function table(cells: readonly CellResult[]): string {
  const head = [
    padEnd("N", 4), padEnd("call", 20), pad("c", 3), pad("direct/s", 9), pad("proxy/s", 9), pad("ratio", 6),
    pad("p50 d ms", 9), pad("p50 p ms", 9), pad("p99 d ms", 9), pad("p99 p ms", 9), pad("px cpu ms/call", 15), pad("answer kB", 10),
  ].join(" ");
  const lines = cells.map((c) =>
    [
      padEnd(c.n, 4), padEnd(c.label, 20), pad(c.concurrency, 3), pad(f(c.direct.callsPerSec), 9), pad(f(c.proxy.callsPerSec), 9),
      pad(f(c.ratio, 2), 6), pad(f(c.direct.p50Ms, 2), 9), pad(f(c.proxy.p50Ms, 2), 9), pad(f(c.direct.p99Ms, 2), 9), pad(f(c.proxy.p99Ms, 2), 9),
      pad(f(c.proxy.cpuMsPerCall, 3), 15), pad(f(c.proxy.answerBytes / 1024, 1), 10),
    ].join(" ") + (c.direct.errors + c.proxy.errors ? `  errors d=${c.direct.errors} p=${c.proxy.errors}: ${c.proxy.firstError ?? c.direct.firstError}` : ""),
  );
  return [head, ...lines].join("\n");
}

/** The cells of `label` at `concurrency`, the one nearest 1000 containers (N=250) first. */
function pick(cells: readonly CellResult[], label: string, concurrency: number): CellResult[] {
  return cells.filter((c) => c.label === label && c.concurrency === concurrency).sort((a, b) => Math.abs(a.n - 250) - Math.abs(b.n - 250));
}

/** Issue 4's targets, judged on this run. Version: median over N (it does not depend on N); lists: N=250 (1000 containers). */
export function targets(cells: readonly CellResult[], startup: readonly StartupResult[], memory: readonly MemoryResult[], recommended: string): Target[] {
  const out: Target[] = [];
  const ratioTarget = (name: string, label: string, c: number, goal: number, overN: boolean) => {
    const found = pick(cells, label, c);
    if (found.length === 0) return;
    const value = overN ? median(found.map((x) => x.ratio)) : found[0].ratio;
    out.push({ name: `${name}${overN ? "" : ` N=${found[0].n}`}`, goal: `>= ${goal}`, value: round(value, 2), met: value >= goal });
  };
  ratioTarget("Version c1", "Version", 1, 0.5, true);
  ratioTarget("Version c16", "Version", 16, 0.8, true);
  ratioTarget("ListContainers c1", "ListContainers", 1, 0.7, false);
  ratioTarget("ListContainers c16", "ListContainers", 16, 0.7, false);
  // "Within 1.5x the direct single-runtime call": at least 1/1.5 of its calls/s.
  ratioTarget("merged ListContainers c1", "merged ListContainers", 1, round(1 / 1.5, 3), false);
  ratioTarget("merged ListContainers c16", "merged ListContainers", 16, round(1 / 1.5, 3), false);
  for (const m of memory) out.push({ name: `RSS after load (${m.variant})`, goal: "< 80 MB", value: round(m.rssMB, 1), met: m.rssMB < 80 });
  const rec = startup.find((s) => s.form === recommended);
  if (rec) out.push({ name: `start to socket-ready (${rec.form})`, goal: "< 100 ms", value: round(rec.medianReadyMs, 1), met: rec.medianReadyMs < 100 });
  return out;
}

/** Targets as lines: `met`/`NOT met`, value, goal. */
export function targetLines(ts: readonly Target[]): string {
  return ts.map((t) => `  ${t.met ? "met    " : "NOT met"}  ${padEnd(t.name, 36)} ${pad(t.value, 7)}  (goal ${t.goal})`).join("\n");
}

/** Startup medians as lines. */
export function startupLines(rs: readonly StartupResult[]): string {
  return rs
    .map((s) => `  ${padEnd(s.form, 10)} socket-ready ${pad(f(s.medianReadyMs, 1), 6)} ms   first answered call ${pad(f(s.medianFirstCallMs, 1), 6)} ms   (median of ${s.readyMs.length})`)
    .join("\n");
}

/** The one-line summary that runs are compared by. */
export function summary(stamp: string, cells: readonly CellResult[], startup: readonly StartupResult[], memory: readonly MemoryResult[], ts: readonly Target[]): string {
  const r = (label: string, c: number) => {
    const x = pick(cells, label, c);
    return x.length ? f(label === "Version" ? median(x.map((y) => y.ratio)) : x[0].ratio, 2) : "-";
  };
  const proxied = cells.reduce((s, c) => s + c.proxy.calls, 0);
  const cpu = cells.reduce((s, c) => s + c.proxy.cpuMsPerCall * c.proxy.calls, 0) / proxied;
  const mem = memory.map((m) => `${m.variant} ${f(m.rssMB)}MB`).join(" ");
  const st = startup.map((s) => `${s.form} ${f(s.medianReadyMs)}/${f(s.medianFirstCallMs)}ms`).join(" ");
  return (
    `bench ${stamp}: Version c1 ${r("Version", 1)} c16 ${r("Version", 16)} | LC c1 ${r("ListContainers", 1)} c16 ${r("ListContainers", 16)}` +
    ` | LPS c16 ${r("ListPodSandbox", 16)} | stats c16 ${r("ListContainerStats", 16)} | merged c1 ${r("merged ListContainers", 1)} c16 ${r("merged ListContainers", 16)}` +
    ` | RSS ${mem || "-"} | ready/first ${st || "-"} | cpu ${f(cpu, 3)}s/1k calls | targets ${ts.filter((t) => t.met).length}/${ts.length}`
  );
}
