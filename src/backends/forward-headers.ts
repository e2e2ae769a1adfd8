// The request metadata a runtime receives on every call kind: the client's, end to end
// (grpc/metadata.ts), with criproxy's user-agent appended and, when criproxy traces the call,
// its own span's W3C trace context in place of the client's.
import { userAgent } from "../grpc/metadata.ts";
import type { Fields } from "../grpc/status.ts";

/** W3C trace context: replaced as a whole by the runtime-call span's, when there is one. */
const TRACE_CONTEXT = new Set(["traceparent", "tracestate"]);

/** Appends the forwarded metadata to `headers` (a call's transport headers, without user-agent). */
export function forwardHeaders(
  headers: [string, string][],
  metadata: Fields | undefined,
  trace: Fields | undefined,
  ours: string,
): void {
  let agent: string | undefined;
  if (metadata) {
    for (const [name, value] of metadata) {
      if (name === "user-agent") agent = agent === undefined ? value : `${agent}, ${value}`;
      else if (!trace || !TRACE_CONTEXT.has(name)) headers.push([name, value]);
    }
  }
  headers.push(["user-agent", userAgent(agent, ours)]);
  if (trace) for (const f of trace) headers.push([f[0], f[1]]);
}
