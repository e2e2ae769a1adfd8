// One incoming HTTP/2 stream as a gRPC call: read, dispatch, answer. Nothing a client sends may throw out of here.
import { Code, ConnectError } from "@connectrpc/connect";
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { methodTable } from "../core/methods.ts";
import { joinChunks, MAX_MESSAGE_BYTES, tooLarge, unwrapUnary } from "../grpc/envelope.ts";
import { statusFields } from "../grpc/status.ts";
import { parseGrpcTimeout } from "../grpc/timeout.ts";
import type { Call, Handlers } from "../grpc/call.ts";
import { framedMessage, settledBuffer, writeAnswer } from "./answer-writer.ts";
import { watchBody } from "./body-watch.ts";

const okHeaders = { ":status": 200, "content-type": "application/grpc", "grpc-accept-encoding": "identity" };
const okTrailers = { "grpc-status": "0" };

/** Serves one stream. The :authority is never read: on a Unix socket it means nothing (crictl sends the path). */
export function serveStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, handlers: Handlers, onError: (e: unknown) => void): void {
  stream.on("error", () => {}); // a client reset is reported by "close"; never an uncaught error
  const path = String(headers[":path"] ?? "");
  const contentType = String(headers["content-type"] ?? "");
  if (headers[":method"] !== "POST" || !/^application\/grpc(\+proto)?(;|$)/.test(contentType)) {
    // Not gRPC: answer as HTTP does (415 is what gRPC servers send for a wrong content-type).
    respondHttp(stream, headers[":method"] !== "POST" ? 405 : 415);
    return;
  }
  const controller = new AbortController();
  let deadline: number | undefined;
  try {
    const ms = parseGrpcTimeout(headers["grpc-timeout"]);
    if (ms !== undefined) deadline = Date.now() + ms;
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      throw new ConnectError(`grpc-encoding ${String(encoding)} is not supported; send identity`, Code.Unimplemented);
    }
  } catch (e) {
    return fail(stream, asError(e));
  }
  const row = methodTable.get(path);
  const chunks: Buffer[] = [];
  let total = 0;
  let done = false;
  const bodyArrived = watchBody((error) => {
    done = true;
    fail(stream, error);
    stream.close(constants.NGHTTP2_CANCEL);
  });
  stream.on("close", () => {
    bodyArrived();
    if (!done) controller.abort();
  });
  stream.on("data", (chunk: Buffer) => {
    if (done) return;
    total += chunk.length;
    if (total > MAX_MESSAGE_BYTES + 5) {
      done = true;
      fail(stream, tooLarge(`request to ${path}`, total - 5));
      stream.close(constants.NGHTTP2_NO_ERROR);
      return;
    }
    chunks.push(chunk);
  });
  stream.on("end", () => {
    bodyArrived();
    if (done) return;
    let request: Buffer;
    try {
      request = unwrapUnary(joinChunks(chunks, total), `request to ${path}`);
    } catch (e) {
      done = true;
      return fail(stream, asError(e));
    }
    const call: Call = { path, row, request, deadline, signal: controller.signal, routedTo: [] };
    const finish = (e?: unknown) => {
      done = true;
      if (e !== undefined) {
        // A ConnectError is a status someone meant (a runtime's, or ours naming what was wrong);
        // anything else thrown is a fault of the proxy's own, logged with its stack.
        if (!(e instanceof ConnectError)) onError(e);
        fail(stream, asError(e));
      }
    };
    if (row?.streaming) {
      let started = false;
      const send = (m: Uint8Array) => {
        if (stream.closed || stream.destroyed) return Promise.reject(new ConnectError("the client went away", Code.Canceled));
        if (!started) {
          started = true;
          stream.respond(okHeaders, { waitForTrailers: true });
        }
        return writeMessage(stream, m);
      };
      handlers.stream(call, send).then(
        () => {
          done = true;
          if (!started) return respondEmpty(stream);
          stream.once("wantTrailers", () => stream.sendTrailers(okTrailers));
          stream.end();
        },
        (e) => {
          if (!started) return finish(e);
          done = true;
          if (!(e instanceof ConnectError)) onError(e);
          finishStarted(stream, asError(e));
        },
      );
      return;
    }
    handlers.unary(call).then((answer) => {
      if (stream.closed || stream.destroyed) return controller.abort();
      stream.respond(okHeaders, { waitForTrailers: true });
      const whole = settledBuffer(answer);
      if (whole) {
        done = true;
        stream.once("wantTrailers", () => stream.sendTrailers(okTrailers));
        stream.end(whole);
        return;
      }
      // Until the answer is written, kubelet going away cancels the runtime's call (`done` unset).
      writeAnswer(stream, answer).then(
        () => {
          done = true;
          stream.once("wantTrailers", () => stream.sendTrailers(okTrailers));
          stream.end();
        },
        (e) => {
          done = true;
          finishStarted(stream, asError(e));
        },
      );
    }, finish);
  });
}

// Stream messages go out one by one; a message is taken when the stream's buffer has room.
function writeMessage(stream: ServerHttp2Stream, message: Uint8Array): Promise<void> {
  if (stream.write(framedMessage(message))) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const drained = () => (stream.off("close", closed), resolve());
    const closed = () => (stream.off("drain", drained), reject(new ConnectError("the client went away", Code.Canceled)));
    stream.once("drain", drained);
    stream.once("close", closed);
  });
}

// A stream with no messages is answered trailers-only with OK.
function respondEmpty(stream: ServerHttp2Stream): void {
  if (stream.closed || stream.destroyed) return;
  stream.respond({ ...okHeaders, ...okTrailers }, { endStream: true });
}

/** Answers an error trailers-only: the status rides in the response headers, with no body. */
function fail(stream: ServerHttp2Stream, error: ConnectError): void {
  if (stream.closed || stream.destroyed || stream.headersSent) return;
  stream.respond({ ...okHeaders, ...statusFields(error) }, { endStream: true });
}

// After messages went out, the error goes in the trailers.
function finishStarted(stream: ServerHttp2Stream, error: ConnectError): void {
  if (stream.closed || stream.destroyed) return;
  stream.once("wantTrailers", () => stream.sendTrailers(statusFields(error)));
  stream.end();
}

function respondHttp(stream: ServerHttp2Stream, status: number): void {
  if (stream.closed || stream.destroyed) return;
  stream.respond({ ":status": status, "content-type": "text/plain" });
  stream.end(status === 415 ? "criproxy serves gRPC (content-type application/grpc)\n" : "criproxy serves gRPC over POST\n");
}

function asError(e: unknown): ConnectError {
  return e instanceof ConnectError ? e : ConnectError.from(e, Code.Internal);
}

