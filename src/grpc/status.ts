// gRPC status in HTTP/2 headers and trailers, and errors as kubelet must see them.
import { Code, ConnectError } from "@connectrpc/connect";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";

/** Where a runtime's grpc-message travels unchanged inside a ConnectError. */
const RAW_MESSAGE = "x-criproxy-raw-grpc-message";

/** Percent-encodes a grpc-message value as the gRPC HTTP/2 spec asks (printable ASCII except %). */
export function encodeGrpcMessage(message: string): string {
  return /^[\x20-\x24\x26-\x7e]*$/.test(message) ? message : encodeURIComponent(message);
}

/** Decodes a grpc-message value; a malformed escape is kept as sent. */
export function decodeGrpcMessage(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The grpc-status fields for an error, ready for trailers or a trailers-only answer. */
export function statusFields(error: ConnectError): OutgoingHttpHeaders {
  const fields: OutgoingHttpHeaders = {
    "grpc-status": String(error.code),
    // A runtime's status passes on exactly as it was sent; our own errors are encoded here.
    "grpc-message": error.metadata.get(RAW_MESSAGE) ?? encodeGrpcMessage(error.rawMessage),
  };
  // Keep the runtime's structured details (google.rpc.Status) when it sent them.
  const details = error.metadata.get("grpc-status-details-bin");
  if (details) fields["grpc-status-details-bin"] = details;
  return fields;
}

/** The error a backend's headers or trailers carry, undefined for OK or no status at all. */
export function errorFromFields(fields: IncomingHttpHeaders): ConnectError | undefined {
  const raw = fields["grpc-status"];
  if (raw === undefined || raw === "0") return undefined;
  const code = Number(raw);
  const message = decodeGrpcMessage(String(fields["grpc-message"] ?? ""));
  const metadata = new Headers();
  const details = fields["grpc-status-details-bin"];
  if (typeof details === "string") metadata.set("grpc-status-details-bin", details);
  const rawMessage = fields["grpc-message"];
  if (typeof rawMessage === "string") metadata.set(RAW_MESSAGE, rawMessage);
  if (!Number.isInteger(code) || Code[code] === undefined) {
    return new ConnectError(`invalid grpc-status ${String(raw)}: ${message}`, Code.Unknown, metadata);
  }
  return new ConnectError(message, code as Code, metadata);
}

/** True for an error made from a runtime's own grpc-status (see errorFromFields). */
export function isWireStatus(error: ConnectError): boolean {
  return error.metadata.has(RAW_MESSAGE);
}

/** True when the headers carry a grpc-status at all (a trailers-only answer). */
export function hasStatus(fields: IncomingHttpHeaders): boolean {
  return fields["grpc-status"] !== undefined;
}

/** The gRPC code's name as grpc-go spells it (`Unavailable`, `DeadlineExceeded`). */
export function codeName(e: unknown): string {
  const code = ConnectError.from(e).code;
  return Code[code] ?? String(code);
}
