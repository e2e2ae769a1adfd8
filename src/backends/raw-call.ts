// Calls to a backend as raw gRPC bytes over its HTTP/2 session: nothing is decoded here.
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromHttpStatus } from "@connectrpc/connect/protocol-grpc";
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders } from "node:http2";
import type { Ledger } from "../grpc/byte-budget.ts";
import { envelopeHeader, EnvelopeReader, MAX_MESSAGE_BYTES, tooLarge } from "../grpc/envelope.ts";
import { errorFromFields, hasStatus, isWireStatus } from "../grpc/status.ts";
import { formatGrpcTimeout } from "../grpc/timeout.ts";
import { resetError, transportError } from "../grpc/transport-error.ts";
import { VERSION } from "../version.ts";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import { RawAnswer } from "../grpc/raw-answer.ts";

export interface CallOptions {
  /** Absolute deadline (epoch ms); the backend gets what is left as grpc-timeout. */
  readonly deadline?: number;
  /** Aborted when kubelet cancels or goes away. */
  readonly signal?: AbortSignal;
  /** Where the answer's bytes are counted against the proxy's byte budget. */
  readonly ledger?: Ledger;
}

/** What a call needs of a runtime connection (a Backend; a scripted one in tests). */
export interface CallTarget {
  readonly label: string;
  readonly sessions: Pick<Http2SessionManager, "request" | "notifyResponseByteRead">;
  /** Told of every transport failure a call sees. */
  failed(error: ConnectError): void;
}

const userAgent = `criproxy/${VERSION}`;
/** A stream the backend refuses before answering (REFUSED_STREAM, GOAWAY) is safe to send again. */
const ATTEMPTS = 3;

/**
 * One unary call. Resolves with the answer at its first chunk (the rest keeps arriving into
 * it, and an error after that ends it), or rejects with the runtime's status before any data.
 */
export async function unaryRaw(backend: CallTarget, path: string, message: Uint8Array, opts: CallOptions = {}): Promise<RawAnswer> {
  for (let attempt = 1; ; attempt++) {
    const stream = await open(backend, path, opts);
    const answer = new RawAnswer(`answer of runtime ${backend.label} to ${path}`, opts.ledger);
    try {
      return await new Promise<RawAnswer>((resolve, reject) => {
        let handedOn = false;
        const handOn = () => {
          handedOn = true;
          resolve(answer);
        };
        exchange(backend, stream, message, opts, {
          data(chunk) {
            answer.push(chunk);
            if (!handedOn) handOn();
          },
          end: () => answer.end(),
        }).then(
          () => handedOn || handOn(),
          (e) => (handedOn ? answer.end(failure(backend, e)) : reject(e)),
        );
      });
    } catch (e) {
      if (e instanceof Refused && attempt < ATTEMPTS) continue;
      throw failure(backend, e);
    }
  }
}

/**
 * One server-streaming call; `onMessage` gets each message's bytes as it arrives. When it
 * returns a promise (the client's side is full), the runtime's stream is paused until it
 * settles: backpressure reaches the runtime instead of growing a queue here.
 */
export async function streamRaw(
  backend: CallTarget,
  path: string,
  message: Uint8Array,
  onMessage: (msg: Buffer) => void | Promise<void>,
  opts: CallOptions = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const stream = await open(backend, path, opts);
    const reader = new EnvelopeReader(`stream of runtime ${backend.label} on ${path}`);
    let sent = false;
    try {
      return await exchange(backend, stream, message, opts, {
        data(chunk) {
          let waits: Promise<void>[] | undefined;
          for (const m of reader.push(chunk)) {
            sent = true;
            const taken = onMessage(m);
            if (taken) (waits ??= []).push(taken);
          }
          if (!waits) return;
          stream.pause();
          Promise.all(waits).then(
            () => stream.resume(),
            (e) => stream.destroy(e instanceof ConnectError ? e : new ConnectError(`the client stopped taking ${path}: ${String(e)}`, Code.Canceled)),
          );
        },
        end(): void {
          if (reader.incomplete) throw new ConnectError(`runtime ${backend.label} ended ${path} mid-message`, Code.Internal);
        },
      });
    } catch (e) {
      if (e instanceof Refused && !sent && attempt < ATTEMPTS) continue;
      throw failure(backend, e);
    }
  }
}

class Refused extends Error {}

function failure(backend: CallTarget, e: unknown): ConnectError {
  const err = e instanceof Refused ? new ConnectError(`runtime ${backend.label} refused the stream`, Code.Unavailable) : transportError(e, backend.label);
  if (!isWireStatus(err)) backend.failed(err); // a status the runtime sent is an answer, not a transport failure
  return err;
}

async function open(backend: CallTarget, path: string, opts: CallOptions): Promise<ClientHttp2Stream> {
  const headers: Record<string, string> = { "content-type": "application/grpc", te: "trailers", "user-agent": userAgent };
  if (opts.deadline !== undefined) {
    const left = opts.deadline - Date.now();
    if (left <= 0) throw new ConnectError(`deadline exceeded before calling runtime ${backend.label}`, Code.DeadlineExceeded);
    headers["grpc-timeout"] = formatGrpcTimeout(left);
  }
  try {
    const stream = await backend.sessions.request("POST", path, headers, {});
    widenWindow(stream.session);
    return stream;
  } catch (e) {
    throw failure(backend, e);
  }
}

/** HTTP/2's connection window starts at 64 KiB: a 1 MB list would wait on ~15 WINDOW_UPDATE round trips. */
export const CONNECTION_WINDOW = 32 * 1024 * 1024;
const widened = new WeakSet<object>();

function widenWindow(session: { setLocalWindowSize?(size: number): void } | undefined): void {
  if (!session || widened.has(session)) return;
  widened.add(session);
  session.setLocalWindowSize?.(CONNECTION_WINDOW);
}

interface Sink<T> {
  data(chunk: Buffer): void;
  end(): T;
}

// Sends the request and waits for the whole answer; the result is `sink.end()`'s, or the status error.
function exchange<T>(backend: CallTarget, stream: ClientHttp2Stream, message: Uint8Array, opts: CallOptions, sink: Sink<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let status: ConnectError | null | undefined = undefined; // undefined: none yet; null: OK
    let answered = false;
    let failed: unknown;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const session = stream.session; // detached from the stream by the time it closes
    const stop = (err: ConnectError) => {
      failed ??= err;
      stream.close(constants.NGHTTP2_CANCEL);
    };
    const onAbort = () => stop(new ConnectError(`call to runtime ${backend.label} canceled`, Code.Canceled));
    if (opts.deadline !== undefined) {
      timer = setTimeout(() => stop(new ConnectError(`deadline exceeded waiting for runtime ${backend.label}`, Code.DeadlineExceeded)), opts.deadline - Date.now());
    }
    opts.signal?.addEventListener("abort", onAbort);
    const readStatus = (fields: IncomingHttpHeaders) => {
      status = errorFromFields(fields) ?? null;
    };
    stream.on("response", (headers) => {
      answered = true;
      const code = headers[":status"];
      if (hasStatus(headers)) readStatus(headers); // trailers-only: an error (or OK) with no body
      // No grpc-status: the gRPC spec maps the HTTP status (404 is Unimplemented, as grpc-go reads it).
      else if (code !== 200) failed ??= new ConnectError(`runtime ${backend.label} answered HTTP ${code}`, codeFromHttpStatus(Number(code)));
    });
    stream.on("data", (chunk: Buffer) => {
      backend.sessions.notifyResponseByteRead(stream);
      if (failed) return;
      try {
        sink.data(chunk);
      } catch (e) {
        stop(e instanceof ConnectError ? e : ConnectError.from(e));
      }
    });
    stream.on("trailers", readStatus);
    stream.on("error", (e) => {
      failed ??= e;
    });
    stream.on("close", () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (failed instanceof ConnectError) return reject(failed);
      if (status === null) {
        try {
          return resolve(sink.end());
        } catch (e) {
          return reject(e);
        }
      }
      if (status) return reject(status);
      const rst = stream.rstCode ?? constants.NGHTTP2_NO_ERROR;
      // Only a stream the runtime refused unprocessed is sent again: a reset after it may
      // have acted (RunPodSandbox) must not run twice.
      if (!answered && rst === constants.NGHTTP2_REFUSED_STREAM) return reject(new Refused());
      // A runtime that dies mid-call: Bun closes its streams with CANCEL and no error event.
      // We did not cancel (that sets `failed`), so the connection is gone: Unavailable.
      if (rst === constants.NGHTTP2_CANCEL && (session?.destroyed || session?.closed)) {
        return reject(new ConnectError(`runtime ${backend.label} is unavailable: its connection closed during the call`, Code.Unavailable));
      }
      if (failed) return reject(failed);
      reject(rst !== constants.NGHTTP2_NO_ERROR ? resetError(rst, backend.label) : new ConnectError(`runtime ${backend.label} closed the stream without a status`, Code.Unavailable));
    });
    if (opts.signal?.aborted) return onAbort();
    stream.end(message.length ? Buffer.concat([envelopeHeader(message.length), message]) : envelopeHeader(0));
  });
}
