// Transport failures mapped to gRPC codes in one place, at the edge.
import { Code, ConnectError } from "@connectrpc/connect";
import { isWireStatus } from "./status.ts";

/** Any failure of a call to `runtime` as a ConnectError whose code kubelet can act on. */
export function transportError(reason: unknown, runtime: string): ConnectError {
  if (reason instanceof ConnectError) {
    // A status the runtime sent, or an error of ours that names it, passes unchanged.
    if (isWireStatus(reason) || reason.rawMessage.includes(`runtime ${runtime}`)) return reason;
    // Connect's session manager reports a refused or lost connection without naming the runtime.
    if (reason.code !== Code.Internal || !hasCode(reason.cause)) {
      return new ConnectError(`runtime ${runtime} is unavailable: ${reason.rawMessage}`, reason.code === Code.Unknown ? Code.Unavailable : reason.code);
    }
    reason = reason.cause;
  }
  // Whatever broke between us and the runtime (a missing socket file, a refused or
  // reset connection, a GOAWAY), kubelet's answer is the same: retry later.
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new ConnectError(`runtime ${runtime} is unavailable: ${detail}`, Code.Unavailable);
}

/** RST_STREAM error codes (RFC 9113, section 7), by number. */
const RST_NAMES = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"];

/**
 * The error for a stream the runtime reset. Whatever the RST code, it says nothing about
 * kubelet's request, so kubelet gets Unavailable (retry later) with the code named; grpc-go
 * would read some codes as Internal, Canceled or ResourceExhausted, which from a proxy would
 * look like kubelet's own fault or its own cancel.
 */
export function resetError(rstCode: number, runtime: string): ConnectError {
  return new ConnectError(`runtime ${runtime} reset the stream (${RST_NAMES[rstCode] ? `NGHTTP2_${RST_NAMES[rstCode]}` : rstCode})`, Code.Unavailable);
}

function hasCode(e: unknown): boolean {
  return errorCode(e) !== undefined;
}

function errorCode(e: unknown): string | undefined {
  for (let i = 0; e instanceof Error && i < 5; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = e.cause;
  }
  return undefined;
}
