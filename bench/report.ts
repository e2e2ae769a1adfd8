// What a run prints: the ratio table, startup and memory lines, the one-line summary.
import type { CellResult } from "./cells.ts";
import type { MemoryResult, StartupResult } from "./results.ts";
import { pick, size, type Target } from "./targets.ts";

const pad = (s: string | number, w: number) => String(s).padStart(w);
const padEnd = (s: string | number, w: number) => String(s).padEnd(w);
const f = (x: number | undefined, d = 0) => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : "-");
/** A cell whose target answered nothing but errors (as a raw-path :authority once did). */
const refused = (c: CellResult) => c.proxy.calls === 0 && c.proxy.errors > 0;

/** The ratio table, one line per cell. */
export function table(cells: readonly CellResult[]): string {
  const head = [
    padEnd("N", 4),
    padEnd("call", 29),
    pad("c", 3),
    pad("direct/s", 9),
    pad("proxy/s", 9),
    pad("ratio", 7),
    pad("p50 d ms", 9),
    pad("p50 p ms", 9),
    pad("p99 d ms", 9),
    pad("p99 p ms", 9),
    pad("px cpu ms/call", 15),
    pad("answer", 8),
  ].join(" ");
  const lines = cells.map(
    (c) =>
      [
        padEnd(c.n, 4),
        padEnd(c.label, 29),
        pad(c.concurrency, 3),
        pad(f(c.direct.callsPerSec), 9),
        pad(f(c.proxy.callsPerSec), 9),
        pad(refused(c) ? "refused" : f(c.ratio, 2), 7),
        pad(f(c.direct.p50Ms, 2), 9),
        pad(f(c.proxy.p50Ms, 2), 9),
        pad(f(c.direct.p99Ms, 2), 9),
        pad(f(c.proxy.p99Ms, 2), 9),
        pad(f(c.proxy.cpuMsPerCall, 3), 15),
        pad(size(c.proxy.answerBytes || c.direct.answerBytes), 8),
      ].join(" ") +
      (c.direct.errors + c.proxy.errors
        ? `  errors d=${c.direct.errors} p=${c.proxy.errors}: ${c.proxy.firstError ?? c.direct.firstError}`
        : ""),
  );
  return [head, ...lines].join("\n");
}

/** Startup medians as lines. */
export function startupLines(rs: readonly StartupResult[]): string {
  return rs
    .map(
      (s) =>
        `  ${padEnd(s.form, 10)} socket-ready ${pad(f(s.medianReadyMs, 1), 6)} ms   first answered call ${pad(f(s.medianFirstCallMs, 1), 6)} ms   (median of ${s.readyMs.length})`,
    )
    .join("\n");
}

/** Memory readings as lines. */
export function memoryLines(ms: readonly MemoryResult[]): string {
  return ms
    .map((m) =>
      [
        `  ${padEnd(m.variant, 16)} RSS after load ${pad(f(m.rssMB, 1), 6)} MB   high-water ${pad(f(m.peakMB, 1), 6)} MB`,
        m.rssAfter5sMB !== undefined ? `   RSS 5 s later ${pad(f(m.rssAfter5sMB, 1), 6)} MB` : "",
        m.cpuMsPerCall !== undefined ? `   ${f(m.cpuMsPerCall, 3)} CPU ms/call` : "",
      ].join(""),
    )
    .join("\n");
}

/** The one-line summary runs are compared by: every label's ratios by concurrency, CPU, start, memory, targets. */
export function summary(
  stamp: string,
  baseline: string,
  cells: readonly CellResult[],
  startup: readonly StartupResult[],
  memory: readonly MemoryResult[],
  ts: readonly Target[],
): string {
  const labels = [...new Set(cells.map((c) => c.label))];
  const ratios = labels.map((label) => {
    const concs = [...new Set(cells.filter((c) => c.label === label).map((c) => c.concurrency))];
    return `${label} ${concs
      .map((c) => {
        const x = pick(cells, label, c)!;
        return `c${c} ${refused(x) ? "refused" : f(x.ratio, 2)}`;
      })
      .join(" ")}`;
  });
  const cpu = ["Version", "ListContainers"].flatMap((label) =>
    [1, 16]
      .map((c) => pick(cells, label, c))
      .filter((x) => x)
      .map((x) => `${label} c${x!.concurrency} ${f(x!.proxy.cpuMsPerCall, 3)}`),
  );
  const st = startup.map((s) => `${s.form} ${f(s.medianReadyMs)}/${f(s.medianFirstCallMs)}ms`).join(" ");
  const mem = memory
    .map((m) => `${m.variant} ${f(m.peakMB)}${m.rssAfter5sMB !== undefined ? `/${f(m.rssAfter5sMB)}` : ""}MB`)
    .join(" ");
  return (
    `bench ${stamp} ${baseline}: ${ratios.join(" | ")} | proxy CPU ms/call ${cpu.join(" ") || "-"} | ready/first ${st || "-"}` +
    ` | high-water/RSS+5s ${mem || "-"} | targets met ${ts.filter((t) => t.met).length}/${ts.length}`
  );
}
