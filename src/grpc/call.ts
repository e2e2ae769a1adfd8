// A gRPC call as the server hands it on, the handlers that answer it, and interceptors
// (logging, metrics) that wrap handlers: `(next) => handlers`, composed in one loop.
import { methodKinds } from "../core/method-kinds.ts";
import type { MethodRow } from "../core/methods.ts";
import type { Answer } from "./answer.ts";
import type { Ledger } from "./byte-budget.ts";
import type { CallSpan } from "./call-span.ts";
import type { AnswerMetadata } from "./metadata.ts";
import type { Fields } from "./status.ts";

export interface Call {
  /** The HTTP/2 :path, e.g. `/runtime.v1.RuntimeService/Version`. */
  readonly path: string;
  /**
   * The method table row; undefined for a method this build does not know (forwarded raw).
   * The server leaves it unset (it loads no descriptors); the first interceptor fills it in.
   */
  row: MethodRow | undefined;
  /** The request message's bytes, without the gRPC length prefix. */
  readonly request: Buffer;
  /** The client's deadline as epoch ms, from grpc-timeout. */
  readonly deadline: number | undefined;
  /** Aborted when the client cancels the call or goes away. */
  readonly signal: AbortSignal;
  /** The runtimes the call went to, for logs and metrics (filled by the pipeline). */
  readonly routedTo: string[];
  /** What the call holds of the proxy's byte budget, given back when it ends. */
  readonly ledger: Ledger;
  /** The client's request metadata every runtime call passes on (grpc/metadata.ts); unset in tests that need none. */
  readonly metadata?: Fields;
  /** Where the answering runtime's headers and trailers are kept for the client (the primary's for a merged answer). */
  readonly answerMetadata?: AnswerMetadata;
  /** criproxy's span for the call, set by the trace interceptor when tracing is on. */
  span?: CallSpan;
}

export interface Handlers {
  unary(call: Call): Promise<Answer>;
  /** Server-streaming: `send` writes one message and resolves once it is taken (backpressure); resolves when the stream ends well. */
  stream(call: Call, send: (message: Uint8Array) => Promise<void>): Promise<void>;
}

/** Wraps handlers with one concern (metrics, logs); the first in a list is the outermost. */
export type Interceptor = (next: Handlers) => Handlers;

/** Composes interceptors around handlers, the first outermost. */
export function intercept(handlers: Handlers, interceptors: readonly Interceptor[]): Handlers {
  let h = handlers;
  for (let i = interceptors.length - 1; i >= 0; i--) h = interceptors[i](h);
  return h;
}

/** The rpc name; a path this build does not know is "unknown" (a client must not grow our label sets). */
export function methodOf(call: Call): string {
  if (call.row) return call.row.method.name;
  return methodKinds.has(call.path) ? call.path.slice(call.path.lastIndexOf("/") + 1) : "unknown";
}

/** The runtimes a call went to, as logs name them. */
export function routesOf(call: Call): string {
  return call.routedTo.length ? call.routedTo.join(",") : "no runtime";
}
