// Finding processes by what their command line names, and their descendants, via /proc.
import { readdirSync, readFileSync } from "node:fs";

function readProc(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return ""; // the process exited meanwhile
  }
}

/** Pids whose command line contains `needle`, plus all their descendants. */
export function processesMentioning(needle: string): number[] {
  const pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  const parentOf = new Map<string, string>();
  const roots = new Set<string>();
  for (const pid of pids) {
    // ppid is the 4th field of /proc/PID/stat, after the parenthesised comm.
    const stat = readProc(pid, "stat");
    parentOf.set(pid, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] ?? "");
    if (pid !== String(process.pid) && readProc(pid, "cmdline").split("\0").join(" ").includes(needle)) roots.add(pid);
  }
  const found = new Set(roots);
  // Walk down until no new child appears (a tree of shim -> pause/container processes).
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (!found.has(pid) && found.has(ppid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found].map(Number);
}

/** SIGKILL every process whose command line contains `needle`, and its descendants. */
export function killProcessesMentioning(needle: string): number {
  const pids = processesMentioning(needle);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  return pids.length;
}
