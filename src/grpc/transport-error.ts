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
      return new ConnectError(
        `runtime ${runtime} is unavailable: ${reason.rawMessage}`,
        reason.code === Code.Unknown ? Code.Unavailable : reason.code,
      );
    }
    reason = reason.cause;
  }
  // Whatever broke between us and the runtime (a missing socket file, a refused or
  // reset connection, a GOAWAY), kubelet's answer is the same: retry later.
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new ConnectError(`runtime ${runtime} is unavailable: ${detail}`, Code.Unavailable);
}

/**
 * The error for a stream the runtime reset, `rstName` naming its RST code (h2's errorName).
 * Whatever the code, it says nothing about kubelet's request, so kubelet gets Unavailable
 * (retry later) with the code named; grpc-go would read some codes as Internal, Canceled or
 * ResourceExhausted, which from a proxy would look like kubelet's own fault or its own cancel.
 */
export function resetError(rstName: string, runtime: string): ConnectError {
  return new ConnectError(`runtime ${runtime} reset the stream (${rstName})`, Code.Unavailable);
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
