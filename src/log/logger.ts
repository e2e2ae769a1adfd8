// The one logger: -v levels like the original criproxy, repeated warnings rate-limited, and
// two sinks (klog text lines, JSON lines) chosen by `format`, which SIGHUP may change.
import { jsonLine } from "./json-line.ts";
import { klogLine } from "./klog.ts";
import type { LogFormat, LogRecord, Severity } from "./log-record.ts";
import { RepeatLimiter, repeatKey } from "./repeat-limiter.ts";

export type { LogFormat, LogRecord, Severity } from "./log-record.ts";

export interface Logger {
  /** The -v level; callers check it before building any text, so -v 0 costs nothing per call. */
  v: number;
  format: LogFormat;
  /** Writes one record when `level <= v` (errors and warnings of the proxy use level 0). */
  log(level: number, severity: Severity, source: string, msg: string, fields?: Record<string, unknown>): void;
  /** Writes pending "(repeated N times)" summaries (on exit). */
  flush(): void;
}

/** How long identical warnings are collapsed into one line with a count. */
export const REPEAT_WINDOW_MS = 30_000;

export interface LoggerOptions {
  v: number;
  format?: LogFormat;
  /** Where lines go (stderr by default). */
  write?: (line: string) => void;
  repeatWindowMs?: number;
  now?: () => Date;
}

const sinks: Record<LogFormat, (r: LogRecord) => string> = { text: klogLine, json: jsonLine };
const NO_FIELDS: Record<string, unknown> = {};

/** A logger writing klog text or JSON lines. */
export function createLogger(opts: LoggerOptions): Logger {
  const write = opts.write ?? ((l: string) => void process.stderr.write(l));
  const now = opts.now ?? (() => new Date());
  const repeats = new RepeatLimiter(opts.repeatWindowMs ?? REPEAT_WINDOW_MS);
  const logger: Logger = {
    v: opts.v,
    format: opts.format ?? "text",
    log(level, severity, source, msg, fields = NO_FIELDS) {
      if (level > logger.v) return;
      const record: LogRecord = { at: now(), level, severity, source, msg, fields };
      if (
        severity !== "I" &&
        !repeats.admit(repeatKey(severity, source, msg), record.at, (r) =>
          write(sinks[logger.format]({ ...record, repeats: r })),
        )
      )
        return;
      write(sinks[logger.format](record));
    },
    flush: () => repeats.flush(),
  };
  return logger;
}
