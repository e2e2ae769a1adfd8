// What a runtime call sends in its request headers (deadline, forwarded metadata, trace context),
// and how the runtime's answer headers are judged before any of its bytes are read.
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromHttpStatus, parseContentType } from "@connectrpc/connect/protocol-grpc";
import type { RuntimeCallSpan } from "../grpc/call-span.ts";
import { field, type Fields } from "../grpc/status.ts";
import { formatGrpcTimeout } from "../grpc/timeout.ts";
import { VERSION } from "../version.ts";
import { forwardHeaders } from "./forward-headers.ts";

const USER_AGENT = `criproxy/${VERSION}`;

/** What is wrong with a runtime's answer headers, as Connect's validateResponse sees it (undefined: nothing). */
export function answerProblem(fields: Fields, label: string): ConnectError | undefined {
  const code = field(fields, ":status");
  if (code !== "200")
    return new ConnectError(`runtime ${label} answered HTTP ${code}`, codeFromHttpStatus(Number(code)));
  const type = field(fields, "content-type");
  // CRI is protobuf: application/grpc or application/grpc+proto, not +json.
  if (!parseContentType(type ?? null)?.binary)
    return new ConnectError(
      `runtime ${label} answered with content-type ${JSON.stringify(type ?? "")}, not application/grpc`,
      Code.Unknown,
    );
  return undefined;
}

/** A runtime's answer that ended without grpc-status: an error, never OK (Connect: "protocol error: missing status"). */
export function missingStatus(label: string, path: string): ConnectError {
  return new ConnectError(
    `runtime ${label} ended ${path} without a grpc-status (protocol error: missing status)`,
    Code.Internal,
  );
}

export function requestHeaders(
  path: string,
  opts: { readonly deadline?: number; readonly metadata?: Fields },
  label: string,
  trace: RuntimeCallSpan | undefined,
): [string, string][] {
  const headers: [string, string][] = [
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
  ];
  forwardHeaders(headers, opts.metadata, trace?.fields, USER_AGENT);
  if (opts.deadline !== undefined) {
    const left = opts.deadline - Date.now();
    if (left <= 0) throw new ConnectError(`deadline exceeded before calling runtime ${label}`, Code.DeadlineExceeded);
    headers.push(["grpc-timeout", formatGrpcTimeout(left)]);
  }
  return headers;
}
