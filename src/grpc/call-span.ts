// What the pipeline and the runtime calls need of tracing, without knowing OpenTelemetry: the
// call's span (criproxy's server span, set by the trace interceptor when tracing is on) and a
// child span per runtime call. Tracing off: no span at all, and nothing is paid.
import type { ConnectError } from "@connectrpc/connect";
import type { Fields } from "./status.ts";

export type SpanValue = string | number | boolean | string[];

export interface CallSpan {
  /** The trace's id (32 hex digits), for the call's log lines. */
  readonly traceId: string;
  /** A child span for one call to `runtime` with `budgetMs` left of its deadline; its trace context is what that runtime receives. */
  runtimeCall(runtime: string, path: string, budgetMs?: number): RuntimeCallSpan;
  /** Adds an attribute (route, last-known or left-out parts). */
  set(key: string, value: SpanValue): void;
  /** Appends `value` to a list attribute (e.g. every runtime left out). */
  add(key: string, value: string): void;
}

export interface RuntimeCallSpan {
  /** `traceparent` (and `tracestate`) for the runtime: this span as its parent. */
  readonly fields: Fields;
  /** Ends the span with the call's outcome (undefined: OK) and the bytes each way. */
  end(error: ConnectError | undefined, sentBytes: number, receivedBytes: number): void;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;

/** The trace id a call's log lines carry: its span's, else the one the client sent (tracing off), else undefined. */
export function traceIdOf(span: CallSpan | undefined, metadata: Fields | undefined): string | undefined {
  if (span) return span.traceId;
  if (!metadata) return undefined;
  for (const [name, value] of metadata) {
    if (name !== "traceparent") continue;
    const id = TRACEPARENT.exec(value)?.[1];
    return id && !/^0+$/.test(id) ? id : undefined;
  }
  return undefined;
}
