// The standard process_* metrics Prometheus client libraries export, read from /proc on Linux.
import { readdirSync, readFileSync } from "node:fs";

const startSeconds = Date.now() / 1000 - process.uptime();

/** Open file descriptors of this process (-1 where /proc is not there). */
export function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

/** [name, help, type, read] rows for the process metrics. */
export function processSamples(): [string, string, "gauge" | "counter", () => number][] {
  return [
    ["process_open_fds", "Number of open file descriptors.", "gauge", openFds],
    ["process_max_fds", "Maximum number of open file descriptors.", "gauge", maxFds],
    ["process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", () => process.memoryUsage.rss()],
    [
      "process_cpu_seconds_total",
      "Total user and system CPU time spent in seconds.",
      "counter",
      () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1e6;
      },
    ],
    [
      "process_start_time_seconds",
      "Start time of the process since unix epoch in seconds.",
      "gauge",
      () => Math.floor(startSeconds),
    ],
  ];
}

function maxFds(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}
