// Call metadata passed end to end, as a gRPC proxy must: every header kubelet sends that is
// not HTTP/2 or gRPC transport reaches the runtime, and the runtime's own headers and trailers
// come back. Transport headers are each hop's own: criproxy re-derives them per call.
import type { Fields } from "./status.ts";

/** Request headers that belong to one hop (HTTP/2 and gRPC transport), never forwarded. */
const REQUEST_TRANSPORT = new Set([
  "te",
  "content-type",
  "content-length",
  "grpc-timeout",
  "grpc-encoding",
  "grpc-accept-encoding",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
]);
/** Answer headers and trailers criproxy writes itself (the status travels as the call's error). */
const ANSWER_TRANSPORT = new Set([...REQUEST_TRANSPORT, "grpc-status", "grpc-message", "grpc-status-details-bin"]);

/** What a runtime answered besides its messages and status: passed on to the client. */
export interface AnswerMetadata {
  readonly headers: [string, string][];
  readonly trailers: [string, string][];
}

/** A new, empty collector of a runtime's answer metadata. */
export function answerMetadata(): AnswerMetadata {
  return { headers: [], trailers: [] };
}

/** The request headers a runtime must see as the client sent them (user-agent included: see userAgent). */
export function requestMetadata(fields: Fields): Fields {
  return fields.filter(([name]) => name[0] !== ":" && !REQUEST_TRANSPORT.has(name));
}

/** Adds what a runtime's headers or trailers carry beyond transport and status to `into`. */
export function keepAnswerMetadata(fields: Fields, into: [string, string][]): void {
  for (const [name, value] of fields) if (name[0] !== ":" && !ANSWER_TRANSPORT.has(name)) into.push([name, value]);
}

/** The user-agent a runtime sees: the client's, with ours appended, as grpc-go appends its own to an application's. */
export function userAgent(client: string | undefined, ours: string): string {
  return client ? `${client} ${ours}` : ours;
}
