// What a whole header block does: on an open stream, an answer's headers or trailers (§8.1); on
// an idle one, a stream the client opens (server side), refused when over the limit, reset when
// its request headers are malformed (RFC 9113 §8), answered at once when they are too large, else
// handed to the connection's user.
import type { ConnectionCore } from "./connection-options.ts";
import { ConnectionError, ErrorCode } from "./frames.ts";
import type { HeaderList } from "./hpack.ts";
import { contentLength, requestHeaderProblem, trailerProblem } from "./request-headers.ts";
import { H2Stream } from "./stream.ts";

/** A header block for stream `id` on connection `c`, once the transitions table admitted it. */
export function headerBlock(
  c: ConnectionCore,
  id: number,
  endStream: boolean,
  headers: HeaderList,
  tooLarge: boolean,
  selfDependent: boolean,
): void {
  const state = c.admit(id, "HEADERS");
  if (state === undefined) return;
  const { server } = c.opts;
  if (state !== "idle") {
    const stream = c.streams.get(id)!;
    if (selfDependent) return c.streamError(id, ErrorCode.PROTOCOL_ERROR, "a stream depending on itself");
    if (server || stream.headersReceived) {
      // Trailers (§8.1): they end the stream and carry no pseudo-header.
      if (!endStream) return c.streamError(id, ErrorCode.PROTOCOL_ERROR, "a second HEADERS without END_STREAM");
      const problem = server ? trailerProblem(headers) : undefined;
      if (problem) return c.streamError(id, ErrorCode.PROTOCOL_ERROR, problem);
    }
    stream.headersReceived = true;
    stream.onHeaders(headers, endStream);
    if (endStream) c.remoteEnd(stream);
    return;
  }
  if (!server || id % 2 === 0)
    throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `the ${server ? "client" : "server"} opened stream ${id}`);
  c.lastPeerStream = id;
  if (!c.goawaySent) acceptStream(c, id, endStream, headers, tooLarge, selfDependent);
}

/** Opens stream `id` on server connection `c` for a HEADERS block on an idle stream. */
function acceptStream(
  c: ConnectionCore,
  id: number,
  endStream: boolean,
  headers: HeaderList,
  tooLarge: boolean,
  selfDependent: boolean,
): void {
  const { opts } = c;
  if (selfDependent) return c.streamError(id, ErrorCode.PROTOCOL_ERROR, "a stream depending on itself");
  if (c.streams.size >= opts.maxConcurrentStreams) {
    opts.onRefused?.(`more than ${opts.maxConcurrentStreams} streams at once (REFUSED_STREAM)`, headers);
    return c.streamError(id, ErrorCode.REFUSED_STREAM, "refused streams");
  }
  const length = tooLarge ? undefined : contentLength(headers);
  const problem = tooLarge
    ? undefined
    : (requestHeaderProblem(headers) ?? (Number.isNaN(length) ? "content-length is not a number" : undefined));
  if (problem) {
    opts.onRefused?.(`malformed request headers: ${problem} (PROTOCOL_ERROR)`, headers);
    return c.streamError(id, ErrorCode.PROTOCOL_ERROR, "malformed requests");
  }
  const s = new H2Stream(id, c, c.peerInitialWindow, opts.streamWindow);
  c.streams.set(id, s);
  s.headersReceived = true;
  s.contentLeft = length;
  if (endStream) s.remoteEnded = true;
  if (tooLarge) {
    c.spend("oversized header lists");
    opts.onRefused?.(`request headers over ${opts.maxHeaderListSize} bytes`, headers);
    // Answered as gRPC does, so the client sees why rather than a bare reset.
    s.sendHeaders(
      [
        [":status", "200"],
        ["content-type", "application/grpc"],
        ["grpc-status", "8"],
        ["grpc-message", `request headers over ${opts.maxHeaderListSize} bytes`],
      ],
      true,
    );
    return;
  }
  if (endStream && length) return c.streamError(id, ErrorCode.PROTOCOL_ERROR, "a body shorter than its content-length");
  opts.onStream?.(s, headers, endStream);
  if (endStream) s.onEnd();
}
