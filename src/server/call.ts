// What the server hands the proxy for each call, and what it expects back.
import type { RawAnswer } from "../backends/raw-answer.ts";
import type { MethodRow } from "../core/methods.ts";

export interface Call {
  /** The HTTP/2 :path, e.g. `/runtime.v1.RuntimeService/Version`. */
  readonly path: string;
  /** The method table row; undefined for a method this build does not know (forwarded raw). */
  readonly row: MethodRow | undefined;
  /** The request message's bytes, without the gRPC length prefix. */
  readonly request: Buffer;
  /** kubelet's deadline as epoch ms, from grpc-timeout. */
  readonly deadline: number | undefined;
  /** Aborted when kubelet cancels the call or goes away. */
  readonly signal: AbortSignal;
  /** The runtimes the proxy sent this call to, for logs and metrics (filled by the proxy). */
  readonly routedTo: string[];
}

/**
 * A unary answer: the message's bytes; parts whose concatenation is the message (protobuf
 * merges concatenated messages: how list answers are merged unread); or a runtime's answer
 * passed on as it arrives. A RawAnswer among parts stands for its message bytes.
 */
export type Answer = Uint8Array | readonly (Uint8Array | RawAnswer)[] | RawAnswer;

export interface Handlers {
  unary(call: Call): Promise<Answer>;
  /** Server-streaming: `send` writes one message; resolves when the stream ends well. */
  stream(call: Call, send: (message: Uint8Array) => void): Promise<void>;
}
