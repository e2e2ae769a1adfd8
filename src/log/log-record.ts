// What a log sink turns into one line: shared by the logger and its two sinks.
import type { Repeats } from "./repeat-limiter.ts";

export type Severity = "I" | "W" | "E";

/** How log lines are written: klog's text header, or one JSON object per line. */
export type LogFormat = "text" | "json";

/** What a sink turns into one line. */
export interface LogRecord {
  readonly at: Date;
  readonly level: number;
  readonly severity: Severity;
  readonly source: string;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Set on the summary of a run of identical warnings. */
  readonly repeats?: Repeats;
}
