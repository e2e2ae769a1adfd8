// One incoming HTTP/2 stream as a gRPC call: read the request (bounded in size, time and the
// proxy's byte budget), dispatch it, and write the answer, ending the stream of a client that
// stops reading. Nothing a client sends may throw out of here.
import { Code, ConnectError } from "@connectrpc/connect";
import { methodKinds } from "../core/method-kinds.ts";
import type { ByteBudget } from "../grpc/byte-budget.ts";
import type { Call, Handlers } from "../grpc/call.ts";
import { framedMessage, joinChunks, MAX_MESSAGE_BYTES, tooLarge, unwrapUnary } from "../grpc/envelope.ts";
import { answerMetadata, requestMetadata, type AnswerMetadata } from "../grpc/metadata.ts";
import { field, statusFields, type Fields } from "../grpc/status.ts";
import { parseGrpcTimeout } from "../grpc/timeout.ts";
import { ErrorCode } from "../h2/frames.ts";
import { encodeHeaders } from "../h2/hpack.ts";
import type { H2Stream } from "../h2/stream.ts";
import { settledBuffer, writeAnswer } from "./answer-writer.ts";
import { watchBody } from "./body-watch.ts";
import { whenTaken } from "./when-taken.ts";

export interface StreamOptions {
  readonly handlers: Handlers;
  readonly budget: ByteBudget;
  /** How long a client may leave written bytes untaken before its stream is ended. */
  readonly stuckReaderMs: number;
  /** A fault of the proxy's own (anything thrown that is not a ConnectError): logged with its stack. */
  readonly onFault: (e: unknown) => void;
  /** A client that stopped reading, whose stream was ended. */
  readonly onStuck: (path: string) => void;
  /** A request that is not gRPC, refused with an HTTP status. */
  readonly onRefused: (reason: string) => void;
}

// Encoded once: every answer starts and (when well) ends with the same fields, unless the
// runtime sent metadata of its own, which follows ours.
const OK_FIELDS: Fields = [
  [":status", "200"],
  ["content-type", "application/grpc"],
  ["grpc-accept-encoding", "identity"],
];
const OK_HEADERS = encodeHeaders(OK_FIELDS);
const OK_TRAILERS = encodeHeaders([["grpc-status", "0"]]);
const OK_TRAILERS_ONLY = encodeHeaders([
  [":status", "200"],
  ["content-type", "application/grpc"],
  ["grpc-status", "0"],
]);
const okHeaders = (m: AnswerMetadata) =>
  m.headers.length === 0 ? OK_HEADERS : encodeHeaders([...OK_FIELDS, ...m.headers]);
const okTrailers = (m: AnswerMetadata) =>
  m.trailers.length === 0 ? OK_TRAILERS : encodeHeaders([["grpc-status", "0"], ...m.trailers]);

/** Serves one stream. The :authority is never read: on a Unix socket it means nothing. */
export function serveStream(stream: H2Stream, headers: Fields, opts: StreamOptions): void {
  const path = field(headers, ":path") ?? "";
  const method = field(headers, ":method");
  if (method !== "POST" || !/^application\/grpc(\+proto)?(;|$)/.test(field(headers, "content-type") ?? "")) {
    // Not gRPC: answer as HTTP does (415 is what gRPC servers send for a wrong content-type).
    opts.onRefused(
      method !== "POST"
        ? `${method ?? "no"} :method, not POST (HTTP 405)`
        : `content-type ${JSON.stringify(field(headers, "content-type") ?? "")}, not application/grpc (HTTP 415)`,
    );
    return respondHttp(stream, method !== "POST" ? 405 : 415);
  }
  let deadline: number | undefined;
  try {
    const ms = parseGrpcTimeout(field(headers, "grpc-timeout"));
    if (ms !== undefined) deadline = Date.now() + ms;
    const encoding = field(headers, "grpc-encoding");
    if (encoding !== undefined && encoding !== "identity")
      throw new ConnectError(`grpc-encoding ${encoding} is not supported; send identity`, Code.Unimplemented);
  } catch (e) {
    return fail(stream, asError(e));
  }
  const controller = new AbortController();
  const ledger = opts.budget.ledger();
  const chunks: Buffer[] = [];
  let total = 0;
  let done = false;
  const refuse = (error: ConnectError) => {
    done = true;
    fail(stream, error);
    stream.reset(ErrorCode.NO_ERROR); // stop the rest of the body
  };
  const bodyArrived = watchBody(refuse);
  stream.onClose = () => {
    bodyArrived();
    ledger.release();
    if (!done) controller.abort();
  };
  stream.onData = (chunk) => {
    if (done) return;
    total += chunk.length;
    try {
      if (total > MAX_MESSAGE_BYTES + 5) throw tooLarge(`request to ${path}`, total - 5);
      ledger.take(chunk.length, `request to ${path}`);
    } catch (e) {
      return refuse(asError(e));
    }
    chunks.push(chunk);
  };
  stream.onEnd = () => {
    bodyArrived();
    // Routed after the rest of this read: a reset in the same read (a rapid reset, or a client
    // that gave up at once) ends the call before any runtime stream is opened for it.
    if (!done) queueMicrotask(dispatch);
  };
  const dispatch = () => {
    if (done || stream.closed) return;
    let request: Buffer;
    try {
      request = unwrapUnary(joinChunks(chunks, total), `request to ${path}`);
    } catch (e) {
      return refuse(asError(e));
    }
    chunks.length = 0;
    const meta = answerMetadata();
    const call: Call = {
      path,
      row: undefined,
      request,
      deadline,
      signal: controller.signal,
      routedTo: [],
      ledger,
      metadata: requestMetadata(headers),
      answerMetadata: meta,
    };
    const failed = (e: unknown) => {
      done = true;
      // A ConnectError is a status someone meant (a runtime's, or ours naming what was wrong).
      if (!(e instanceof ConnectError)) opts.onFault(e);
      if (stream.headersSent) stream.end([...statusFields(asError(e)), ...meta.trailers]);
      else fail(stream, asError(e), meta);
    };
    const stuck = () => {
      done = true;
      controller.abort(); // the runtime's call is canceled too
      opts.onStuck(path);
      stream.reset(ErrorCode.CANCEL);
    };
    if (methodKinds.get(path)?.streaming)
      return serveServerStream(stream, call, meta, opts, failed, stuck, () => (done = true));
    opts.handlers.unary(call).then((answer) => {
      if (stream.closed) return controller.abort();
      stream.sendHeaders(okHeaders(meta));
      const whole = settledBuffer(answer);
      if (whole) {
        done = true;
        void stream.write(whole).catch(() => {});
        stream.end(okTrailers(meta));
        return;
      }
      // Until the answer is written, the client going away cancels the runtime's call (`done` unset).
      writeAnswer({ write: (b) => whenTaken(stream, b, opts.stuckReaderMs) }, answer).then(
        () => {
          done = true;
          stream.end(okTrailers(meta)); // the runtime's trailers have arrived: its answer has ended
        },
        (e) => {
          controller.abort(); // whatever failed, the runtime's call ends with it
          e === whenTaken.STUCK ? stuck() : failed(e);
        },
      );
    }, failed);
  };
}

// Server-streaming: messages go out one by one, each taken before the next is read.
function serveServerStream(
  stream: H2Stream,
  call: Call,
  meta: AnswerMetadata,
  opts: StreamOptions,
  failed: (e: unknown) => void,
  stuck: () => void,
  ended: () => void,
): void {
  const send = (m: Uint8Array) => {
    if (stream.closed) return Promise.reject(new ConnectError("the client went away", Code.Canceled));
    if (!stream.headersSent) stream.sendHeaders(okHeaders(meta)); // the runtime's headers came before its first message
    return whenTaken(stream, framedMessage(m), opts.stuckReaderMs).catch((e) => {
      if (e === whenTaken.STUCK) stuck();
      throw new ConnectError("the client stopped reading", Code.Canceled);
    });
  };
  opts.handlers.stream(call, send).then(() => {
    ended();
    if (stream.headersSent) stream.end(okTrailers(meta));
    else if (meta.headers.length + meta.trailers.length === 0)
      stream.sendHeaders(OK_TRAILERS_ONLY, true); // no messages: trailers-only OK
    else {
      stream.sendHeaders(okHeaders(meta)); // the runtime's headers stay headers, as it sent them
      stream.end(okTrailers(meta));
    }
  }, failed);
}

/** Answers an error trailers-only: the status rides in the response headers, with no body. */
function fail(stream: H2Stream, error: ConnectError, meta?: AnswerMetadata): void {
  if (stream.closed || stream.headersSent) return;
  // The runtime answered headers, then its error: so does kubelet's answer (trailers-only would make them trailers).
  if (meta && meta.headers.length > 0) {
    stream.sendHeaders(okHeaders(meta));
    return stream.end([...statusFields(error), ...meta.trailers]);
  }
  stream.sendHeaders(
    [[":status", "200"], ["content-type", "application/grpc"], ...statusFields(error), ...(meta?.trailers ?? [])],
    true,
  );
}

function respondHttp(stream: H2Stream, status: number): void {
  stream.sendHeaders([
    [":status", String(status)],
    ["content-type", "text/plain"],
  ]);
  void stream
    .write(
      Buffer.from(
        status === 415 ? "criproxy serves gRPC (content-type application/grpc)\n" : "criproxy serves gRPC over POST\n",
      ),
    )
    .catch(() => {});
  stream.end();
}

function asError(e: unknown): ConnectError {
  return e instanceof ConnectError ? e : ConnectError.from(e, Code.Internal);
}
