// The JSON sink: one log record as one JSON object on one line (--log-format json).
import type { LogRecord } from "./log-record.ts";

const levels: Record<string, string> = { I: "info", W: "warning", E: "error" };

/** `{"time":…,"level":"info","v":3,"source":"proxy.ts","msg":…,…fields}` and a newline. */
export function jsonLine(r: LogRecord): string {
  const record: Record<string, unknown> = {
    time: r.at.toISOString(),
    level: levels[r.severity],
    v: r.level,
    source: r.source,
    msg: r.msg,
    pid: process.pid,
  };
  for (const [k, value] of Object.entries(r.fields)) if (value !== undefined && !(k in record)) record[k] = value;
  if (r.repeats)
    Object.assign(record, {
      repeated: r.repeats.count,
      first: r.repeats.first.toISOString(),
      last: r.repeats.last.toISOString(),
    });
  // JSON.stringify escapes line breaks inside strings: one record is always one line.
  return `${JSON.stringify(record, (_k, val) => (typeof val === "bigint" ? String(val) : val))}\n`;
}
