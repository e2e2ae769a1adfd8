// Leveled logging in klog's text format, so journald and node log tooling read us like kubelet.

export type Severity = "I" | "W" | "E";

export interface Logger {
  /** The -v level; calls check it before building any text, so -v 0 costs nothing per call. */
  v: number;
  /** Writes one line at `severity` when `level <= v` (errors and warnings use level 0). */
  log(level: number, severity: Severity, source: string, text: string): void;
}

/** A klog-style logger writing to `write` (stderr by default). */
export function createLogger(v: number, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const logger: Logger = {
    v,
    log(level, severity, source, text) {
      if (level > logger.v) return;
      write(`${klogHeader(severity, new Date(), process.pid, source)}${text}\n`);
    },
  };
  return logger;
}

/** `I1120 00:04:32.629279     313 proxy.ts:101] ` — klog's line header. */
export function klogHeader(severity: Severity, at: Date, pid: number, source: string): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  const micros = String(at.getMilliseconds() * 1000).padStart(6, "0");
  return `${severity}${p2(at.getMonth() + 1)}${p2(at.getDate())} ${p2(at.getHours())}:${p2(at.getMinutes())}:${p2(at.getSeconds())}.${micros} ${String(pid).padStart(7)} ${source}] `;
}
