// criproxy's spans, as an interceptor: a server span per call, a child of kubelet's
// `traceparent` (sampled as its parent says), and a client span per runtime call, whose trace
// context is what the runtime receives. Names and attributes follow OpenTelemetry's RPC
// semantic conventions (rpc.system, rpc.service, rpc.method, rpc.grpc.status_code), with
// criproxy's own under `criproxy.` (the route, the runtime, parts left out, bytes).
import { ConnectError } from "@connectrpc/connect";
import {
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { methodKinds } from "../core/method-kinds.ts";
import { answerEnded, rawParts } from "../grpc/answer.ts";
import type { Call, Interceptor } from "../grpc/call.ts";
import type { CallSpan, RuntimeCallSpan, SpanValue } from "../grpc/call-span.ts";
import type { Fields } from "../grpc/status.ts";
import { formatTraceParent, parseTraceParent } from "./trace-context.ts";

/** `/runtime.v1.RuntimeService/Version` as the conventions name a span and its attributes. */
function rpcOf(path: string): { name: string; attributes: Attributes } {
  const name = path.startsWith("/") ? path.slice(1) : path;
  const slash = name.lastIndexOf("/");
  return {
    name,
    attributes: { "rpc.system": "grpc", "rpc.service": name.slice(0, slash), "rpc.method": name.slice(slash + 1) },
  };
}

function first(fields: Fields | undefined, name: string): string | undefined {
  if (fields) for (const [n, v] of fields) if (n === name) return v;
  return undefined;
}

/** The context kubelet's trace context names (its span as a remote parent), or the root. */
function parentOf(metadata: Fields | undefined): Context {
  const parent = parseTraceParent(first(metadata, "traceparent"));
  if (!parent) return ROOT_CONTEXT;
  const state = first(metadata, "tracestate");
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
    traceState: state ? createTraceState(state) : undefined,
  });
}

function ended(span: Span, error: unknown): void {
  const code = error === undefined ? 0 : ConnectError.from(error).code; // 0: OK
  span.setAttribute("rpc.grpc.status_code", code);
  if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: ConnectError.from(error).rawMessage });
  span.end();
}

class OtelCallSpan implements CallSpan {
  private readonly lists = new Map<string, string[]>();
  private readonly context: Context;

  constructor(
    private readonly tracer: Tracer,
    readonly span: Span,
  ) {
    this.context = trace.setSpan(ROOT_CONTEXT, span);
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  runtimeCall(runtime: string, path: string, budgetMs?: number): RuntimeCallSpan {
    const rpc = rpcOf(path);
    const attributes: Attributes = { ...rpc.attributes, "criproxy.runtime": runtime, "network.transport": "unix" };
    if (budgetMs !== undefined) attributes["criproxy.deadline_ms"] = Math.round(budgetMs);
    const span = this.tracer.startSpan(rpc.name, { kind: SpanKind.CLIENT, attributes }, this.context);
    const sc = span.spanContext();
    const fields: [string, string][] = [
      ["traceparent", formatTraceParent(sc.traceId, sc.spanId, (sc.traceFlags & TraceFlags.SAMPLED) !== 0)],
    ];
    const state = sc.traceState?.serialize();
    if (state) fields.push(["tracestate", state]);
    return {
      fields,
      end(error, sent, received) {
        span.setAttribute("criproxy.request_bytes", sent);
        span.setAttribute("criproxy.answer_bytes", received);
        ended(span, error);
      },
    };
  }

  set(key: string, value: SpanValue): void {
    this.span.setAttribute(key, value);
  }

  add(key: string, value: string): void {
    const list = this.lists.get(key) ?? [];
    list.push(value);
    this.lists.set(key, list);
    this.span.setAttribute(key, list);
  }
}

/** The interceptor that gives each call its span (`call.span`), ended when the call's answer has ended. */
export function callTracer(tracer: Tracer): Interceptor {
  const start = (call: Call): OtelCallSpan => {
    const rpc = rpcOf(call.path);
    const attributes: Attributes = {
      ...rpc.attributes,
      "criproxy.route": methodKinds.get(call.path)?.kind ?? "unknown",
    };
    const span = new OtelCallSpan(
      tracer,
      tracer.startSpan(rpc.name, { kind: SpanKind.SERVER, attributes }, parentOf(call.metadata)),
    );
    call.span = span;
    return span;
  };
  const finish = (call: Call, span: OtelCallSpan, error?: unknown) => {
    span.set("criproxy.runtimes", [...call.routedTo]);
    ended(span.span, error);
  };
  return (next) => ({
    async unary(call) {
      if (call.span) return next.unary(call); // already traced (an early call handed on to the routing)
      const span = start(call);
      let answer: Awaited<ReturnType<typeof next.unary>>;
      try {
        answer = await next.unary(call);
      } catch (e) {
        finish(call, span, e);
        throw e;
      }
      // An answer still arriving ends the span when it ends, with the code it ends with.
      const parts = rawParts(answer);
      if (parts.length === 0) finish(call, span);
      else
        answerEnded(parts).then(
          () => finish(call, span),
          (e) => finish(call, span, e),
        );
      return answer;
    },
    async stream(call, send) {
      if (call.span) return next.stream(call, send);
      const span = start(call);
      try {
        await next.stream(call, send);
        finish(call, span);
      } catch (e) {
        finish(call, span, e);
        throw e;
      }
    },
  });
}
