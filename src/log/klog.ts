// The text sink: klog's line format, so journald and node log tooling read us like kubelet.
import type { LogRecord } from "./log-record.ts";

/** `I1120 00:04:32.629279     313 proxy.ts] ` — klog's line header. */
export function klogHeader(severity: string, at: Date, pid: number, source: string): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  const micros = String(at.getMilliseconds() * 1000).padStart(6, "0");
  return `${severity}${p2(at.getMonth() + 1)}${p2(at.getDate())} ${p2(at.getHours())}:${p2(at.getMinutes())}:${p2(at.getSeconds())}.${micros} ${String(pid).padStart(7)} ${source}] `;
}

/**
 * Control characters (and the line separators JavaScript knows) as escapes: a value a client
 * or runtime chose (a pod annotation, a runtime's error) can never start a forged log line.
 */
export function escapeControl(text: string): string {
  return CONTROL.test(text)
    ? text.replace(CONTROL_ALL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : text;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\x00-\x1f\x7f\u2028\u2029]/;
const CONTROL_ALL = new RegExp(CONTROL.source, "g");
const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** One record as one klog text line: the message, then fields as key=value. */
export function klogLine(r: LogRecord): string {
  const kv = Object.entries(r.fields)
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        ` ${k}=${typeof v === "string" && v !== "" && !/[\s"=]/.test(v) && !CONTROL.test(v) ? v : escapeControl(JSON.stringify(v) ?? String(v))}`,
    )
    .join("");
  const repeats =
    r.repeats === undefined
      ? ""
      : ` (repeated ${r.repeats.count} times between ${clock(r.repeats.first)} and ${clock(r.repeats.last)})`;
  return `${klogHeader(r.severity, r.at, process.pid, r.source)}${escapeControl(r.msg)}${kv}${repeats}\n`;
}

function clock(at: Date): string {
  return klogHeader("", at, 0, "").slice(5, 20);
}
