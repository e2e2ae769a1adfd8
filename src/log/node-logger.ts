// The daemon's logger: klog text or JSON lines (--log-format), -v levels, repeated warnings
// rate-limited. Format and level change on SIGHUP without a restart.
import type { LogFormat } from "../config/config.ts";
import { klogHeader, type Logger, type Severity } from "./klog.ts";
import { jsonLine } from "./json-line.ts";
import { RepeatLimiter, repeatKey } from "./repeat-limiter.ts";

/** How long identical warnings are collapsed into one line with a count. */
export const REPEAT_WINDOW_MS = 30_000;

export interface NodeLogger extends Logger {
  format: LogFormat;
  record(level: number, severity: Severity, source: string, msg: string, fields: Record<string, unknown>): void;
  /** Writes pending "(repeated N times)" lines. */
  flush(): void;
}

export interface NodeLoggerOptions {
  v: number;
  format: LogFormat;
  write?: (line: string) => void;
  repeatWindowMs?: number;
  now?: () => Date;
}

/** A logger writing klog text or JSON lines to stderr (or `write`). */
export function createNodeLogger(opts: NodeLoggerOptions): NodeLogger {
  const write = opts.write ?? ((l: string) => void process.stderr.write(l));
  const now = opts.now ?? (() => new Date());
  const repeats = new RepeatLimiter(opts.repeatWindowMs ?? REPEAT_WINDOW_MS);
  const windowText = `${Math.round(repeats.windowMs / 1000)}s`;

  const emit = (level: number, severity: Severity, source: string, msg: string, fields: Record<string, unknown>, repeated?: number) => {
    if (logger.format === "json") {
      write(jsonLine(now(), level, severity, source, msg, repeated === undefined ? fields : { ...fields, repeated }));
      return;
    }
    const kv = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${typeof v === "string" && !/[\s"=]/.test(v) && v !== "" ? v : JSON.stringify(v)}`)
      .join("");
    const suffix = repeated === undefined ? "" : ` (repeated ${repeated} times in ${windowText})`;
    write(`${klogHeader(severity, now(), process.pid, source)}${msg}${kv}${suffix}\n`);
  };

  const logger: NodeLogger = {
    v: opts.v,
    format: opts.format,
    log(level, severity, source, text) {
      logger.record(level, severity, source, text, {});
    },
    record(level, severity, source, msg, fields) {
      if (level > logger.v) return;
      if (severity !== "I" && !repeats.admit(repeatKey(severity, source, msg), (n) => emit(level, severity, source, msg, fields, n))) return;
      emit(level, severity, source, msg, fields);
    },
    flush: () => repeats.flush(),
  };
  return logger;
}
