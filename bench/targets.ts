// Issue 13's targets, judged on one run: met or missed, and by how much.
import type { CellResult } from "./cells.ts";
import type { MemoryResult, StartupResult } from "./results.ts";
import { round } from "./stats.ts";

export interface Target {
  readonly name: string;
  readonly direction: ">=" | "<=";
  readonly goal: number;
  readonly unit: string;
  readonly value: number;
  readonly met: boolean;
}

/** The cell of `label` at `concurrency` nearest 1000 containers (N = 250 pods), if the run has it. */
export function pick(cells: readonly CellResult[], label: string, concurrency: number): CellResult | undefined {
  return cells
    .filter((c) => c.label === label && c.concurrency === concurrency)
    .sort((a, b) => Math.abs(a.n - 250) - Math.abs(b.n - 250))[0];
}

const RATIOS: [label: string, c: number, goal: number][] = [
  ["Version", 1, 0.5],
  ["Version", 16, 0.4],
  ["ListContainers", 1, 0.7],
  ["ListContainers", 16, 0.6],
  ["merged ListContainers", 1, 0.6],
  ["merged ListContainers", 16, 0.6],
];
/** The ratio goals by chart group (`LABEL cN`), for the SVG's goal marks. */
export const ratioGoals = (): Map<string, number> =>
  new Map(RATIOS.map(([label, c, goal]) => [`${label} c${c}`, goal]));

const CPU: [label: string, c: number, goalMs: number][] = [
  ["Version", 1, 0.2],
  ["Version", 16, 0.2],
  ["ListContainers", 1, 1.2],
  ["ListContainers", 16, 1.2],
];

/** Every target this run has the numbers for; `startForm` is the form whose start is judged. */
export function judge(
  cells: readonly CellResult[],
  startup: readonly StartupResult[],
  memory: readonly MemoryResult[],
  startForm: string,
): Target[] {
  const out: Target[] = [];
  const add = (name: string, direction: ">=" | "<=", goal: number, unit: string, value: number) => {
    if (Number.isFinite(value))
      out.push({
        name,
        direction,
        goal,
        unit,
        value: round(value, 3),
        met: direction === ">=" ? value >= goal : value <= goal,
      });
  };
  for (const [label, c, goal] of RATIOS) {
    const cell = pick(cells, label, c);
    if (cell) add(`${label} c${c} ratio`, ">=", goal, "", cell.ratio);
  }
  for (const [label, c, goal] of CPU) {
    const cell = pick(cells, label, c);
    if (cell)
      add(`proxy CPU ${label} c${c} (${size(cell.direct.answerBytes)})`, "<=", goal, "ms", cell.proxy.cpuMsPerCall);
  }
  const s = startup.find((x) => x.form === startForm);
  if (s) {
    add(`start ${s.form}: exec to socket-ready`, "<=", 40, "ms", s.medianReadyMs);
    add(`start ${s.form}: exec to first answer`, "<=", 50, "ms", s.medianFirstCallMs);
  }
  const m = memory.find((x) => x.variant === "merging");
  if (m) {
    add("merging proxy high-water (VmHWM)", "<=", 100, "MB", m.peakMB);
    if (m.rssAfter5sMB !== undefined) add("merging proxy RSS 5 s after load", "<=", 60, "MB", m.rssAfter5sMB);
  }
  return out;
}

/** Targets as lines: met/MISSED, value, goal, and the distance to the goal. */
export function targetLines(ts: readonly Target[]): string {
  return ts
    .map((t) => {
      const gap = Math.abs(t.value - t.goal);
      const how = t.met
        ? `${t.direction === ">=" ? "above" : "under"} by ${fmt(gap)}${t.unit}`
        : `${t.direction === ">=" ? "short" : "over"} by ${fmt(gap)}${t.unit} (${Math.round((gap / t.goal) * 100)}%)`;
      return `  ${t.met ? "met   " : "MISSED"}  ${t.name.padEnd(48)} ${`${fmt(t.value)}${t.unit}`.padStart(9)}  goal ${t.direction} ${t.goal}${t.unit}  ${how}`;
    })
    .join("\n");
}

/** A message size as people read it: 28 B, 902 kB. */
export const size = (bytes: number) => (bytes < 1000 ? `${bytes} B` : `${Math.round(bytes / 1000)} kB`);
const fmt = (x: number) => x.toFixed(Math.abs(x) >= 10 ? 1 : Math.abs(x) >= 1 ? 2 : 3);
