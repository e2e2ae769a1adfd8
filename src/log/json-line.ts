// One log record as one JSON object on one line (--log-format json), for log pipelines.
import type { Severity } from "./klog.ts";

const levels: Record<Severity, string> = { I: "info", W: "warning", E: "error" };

/** `{"time":…,"level":"info","v":3,"source":"proxy.ts","msg":…,…fields}` and a newline. */
export function jsonLine(at: Date, v: number, severity: Severity, source: string, msg: string, fields: Record<string, unknown>): string {
  const record: Record<string, unknown> = { time: at.toISOString(), level: levels[severity], v, source, msg, pid: process.pid };
  for (const [k, value] of Object.entries(fields)) if (value !== undefined && !(k in record)) record[k] = value;
  // JSON.stringify escapes line breaks inside strings: one record is always one line.
  return `${JSON.stringify(record, (_k, val) => (typeof val === "bigint" ? String(val) : val))}\n`;
}
