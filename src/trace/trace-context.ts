// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` kubelet sends,
// parsed, and the one criproxy sends, formatted. Pure; a malformed header is no parent at all,
// as the spec says (a new trace starts).

export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  /** The sampled flag (bit 0 of trace-flags). */
  readonly sampled: boolean;
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/;

/** The parent a `traceparent` names, or undefined when it is malformed (version ff, zero ids, extra fields in version 00). */
export function parseTraceParent(value: string | undefined): TraceParent | undefined {
  const m = value === undefined ? null : TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** The `traceparent` naming a span as the parent of the next hop. */
export function formatTraceParent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}
