// gRPC status in HTTP/2 headers and trailers, and errors as kubelet must see them.
import { Code, ConnectError } from "@connectrpc/connect";

/** Header fields as HTTP/2 carries them: [name, value] pairs, names lowercase. */
export type Fields = readonly (readonly [string, string])[];

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

/** The first value of a field, or undefined. */
export function field(fields: Fields, name: string): string | undefined {
  for (const [n, v] of fields) if (n === name) return v;
  return undefined;
}

/** The grpc-status fields for an error, ready for trailers or a trailers-only answer. */
export function statusFields(error: ConnectError): [string, string][] {
  const fields: [string, string][] = [
    ["grpc-status", String(error.code)],
    // A runtime's status passes on exactly as it was sent; our own errors are encoded here.
    ["grpc-message", error.metadata.get(RAW_MESSAGE) ?? encodeGrpcMessage(error.rawMessage)],
  ];
  // Keep the runtime's structured details (google.rpc.Status) when it sent them.
  const details = error.metadata.get("grpc-status-details-bin");
  if (details) fields.push(["grpc-status-details-bin", details]);
  return fields;
}

/** The error a runtime's headers or trailers carry, undefined for OK or no status at all. */
export function errorFromFields(fields: Fields): ConnectError | undefined {
  const raw = field(fields, "grpc-status");
  if (raw === undefined || raw === "0") return undefined;
  const code = Number(raw);
  const rawMessage = field(fields, "grpc-message");
  const message = decodeGrpcMessage(rawMessage ?? "");
  const metadata = new Headers();
  const details = field(fields, "grpc-status-details-bin");
  // Values a runtime chose: one that is not a valid header value is dropped, never thrown.
  if (details !== undefined) trySet(metadata, "grpc-status-details-bin", details);
  // Passed on as sent when it is printable ASCII (the gRPC spec's form); re-encoded otherwise.
  trySet(
    metadata,
    RAW_MESSAGE,
    rawMessage !== undefined && /^[\x20-\x7e]*$/.test(rawMessage) ? rawMessage : encodeGrpcMessage(message),
  );
  if (!/^\d+$/.test(raw) || Code[code] === undefined) {
    return new ConnectError(`invalid grpc-status ${JSON.stringify(raw)}: ${message}`, Code.Unknown, metadata);
  }
  return new ConnectError(message, code as Code, metadata);
}

function trySet(h: Headers, name: string, value: string): void {
  try {
    h.set(name, value);
  } catch {
    // not a valid header value
  }
}

/** True for an error made from a runtime's own grpc-status (see errorFromFields). */
export function isWireStatus(error: ConnectError): boolean {
  return error.metadata.has(RAW_MESSAGE);
}

/** True when the fields carry a grpc-status at all (a trailers-only answer). */
export function hasStatus(fields: Fields): boolean {
  return field(fields, "grpc-status") !== undefined;
}

/** The gRPC code's name as grpc-go spells it (`Unavailable`, `DeadlineExceeded`). */
export function codeName(e: unknown): string {
  const code = ConnectError.from(e).code;
  return Code[code] ?? String(code);
}
