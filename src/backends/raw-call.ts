// Calls to a runtime as raw gRPC bytes over its HTTP/2 connection: nothing is decoded here.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Ledger } from "../grpc/byte-budget.ts";
import type { CallSpan } from "../grpc/call-span.ts";
import { EnvelopeReader, framedMessage } from "../grpc/envelope.ts";
import { keepAnswerMetadata, type AnswerMetadata } from "../grpc/metadata.ts";
import { RawAnswer } from "../grpc/raw-answer.ts";
import { errorFromFields, hasStatus, isWireStatus, type Fields } from "../grpc/status.ts";
import { resetError, transportError } from "../grpc/transport-error.ts";
import { ErrorCode, errorName } from "../h2/frames.ts";
import type { H2Stream } from "../h2/stream.ts";
import { answerProblem, missingStatus, requestHeaders } from "./call-headers.ts";

export interface CallOptions {
  /** Absolute deadline (epoch ms); the runtime gets what is left as grpc-timeout. */
  readonly deadline?: number;
  /** Aborted when kubelet cancels or goes away. */
  readonly signal?: AbortSignal;
  /** Where the answer's bytes are counted against the proxy's byte budget. */
  readonly ledger?: Ledger;
  /** The client's request metadata, passed on (backends/forward-headers.ts). */
  readonly metadata?: Fields;
  /** Where the runtime's answer headers and trailers are kept for the client; unset for a part whose metadata is not passed on. */
  readonly answer?: AnswerMetadata;
  /** The call's span: this runtime call gets a child span, whose trace context the runtime receives. */
  readonly span?: CallSpan;
}

/** What a call needs of a runtime connection (a Backend; a scripted one in tests). */
export interface CallTarget {
  readonly label: string;
  /**
   * Opens a stream on the runtime's connection: at once when connected with a stream slot free,
   * else when one frees (until `wait`'s deadline or abort). `headers` is asked when the stream
   * opens, so grpc-timeout says what is left then.
   */
  open(
    headers: () => Fields,
    wait?: { readonly deadline?: number; readonly signal?: AbortSignal },
  ): H2Stream | Promise<H2Stream>;
  /** Told of every transport failure a call sees. */
  failed(error: ConnectError): void;
  /** Told when the runtime refused a stream unprocessed, before the call is sent again. */
  refused?(): void;
}

/** The longest delay setTimeout keeps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A stream the runtime refuses before answering (REFUSED_STREAM, GOAWAY) is safe to send again. */
const ATTEMPTS = 3;

/**
 * One unary call. Resolves with the answer at its first chunk (the rest keeps arriving into
 * it, and an error after that ends it), or rejects with the runtime's status before any data.
 */
export async function unaryRaw(
  backend: CallTarget,
  path: string,
  message: Uint8Array,
  opts: CallOptions = {},
): Promise<RawAnswer> {
  for (let attempt = 1; ; attempt++) {
    const answer = new RawAnswer(`answer of runtime ${backend.label} to ${path}`, opts.ledger);
    try {
      return await new Promise<RawAnswer>((resolve, reject) => {
        let handedOn = false;
        const handOn = () => {
          handedOn = true;
          resolve(answer);
        };
        exchange(backend, path, message, opts, {
          data(chunk, stream) {
            if (!handedOn) answer.attach(stream);
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
      if (e instanceof Refused && attempt < ATTEMPTS) {
        backend.refused?.(); // the next attempt waits for a slot to free
        continue;
      }
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
    const reader = new EnvelopeReader(`stream of runtime ${backend.label} on ${path}`);
    let sent = false;
    try {
      return await exchange(backend, path, message, opts, {
        data(chunk, stream, stop) {
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
            (e) =>
              stop(
                e instanceof ConnectError
                  ? e
                  : new ConnectError(`the client stopped taking ${path}: ${String(e)}`, Code.Canceled),
              ),
          );
        },
        end(): void {
          if (reader.incomplete)
            throw new ConnectError(`runtime ${backend.label} ended ${path} mid-message`, Code.Internal);
        },
      });
    } catch (e) {
      if (e instanceof Refused && !sent && attempt < ATTEMPTS) {
        backend.refused?.();
        continue;
      }
      throw failure(backend, e);
    }
  }
}

class Refused extends Error {}

function failure(backend: CallTarget, e: unknown): ConnectError {
  const err =
    e instanceof Refused
      ? new ConnectError(`runtime ${backend.label} refused the stream`, Code.Unavailable)
      : transportError(e, backend.label);
  if (!isWireStatus(err)) backend.failed(err); // a status the runtime sent is an answer, not a transport failure
  return err;
}

interface Sink<T> {
  data(chunk: Buffer, stream: H2Stream, stop: (e: ConnectError) => void): void;
  end(): T;
}

// Opens the stream, sends the request and waits for the whole answer; the result is
// `sink.end()`'s, or the status error. Every way a stream can end maps to one code here.
async function exchange<T>(
  backend: CallTarget,
  path: string,
  message: Uint8Array,
  opts: CallOptions,
  sink: Sink<T>,
): Promise<T> {
  // A call kubelet canceled before it got here opens no stream on the runtime.
  const canceled = () => new ConnectError(`call to runtime ${backend.label} canceled`, Code.Canceled);
  if (opts.signal?.aborted) throw canceled();
  const trace = opts.span?.runtimeCall(
    backend.label,
    path,
    opts.deadline === undefined ? undefined : opts.deadline - Date.now(),
  );
  let received = 0;
  let stream: H2Stream;
  try {
    const opened = backend.open(() => requestHeaders(path, opts, backend.label, trace), opts);
    stream = opened instanceof Promise ? await opened : opened; // at once when connected: headers and body go out in one write
  } catch (e) {
    trace?.end(ConnectError.from(e), 0, 0);
    throw failure(backend, e);
  }
  const done = new Promise<T>((resolve, reject) => {
    let status: ConnectError | null | undefined; // undefined: none yet; null: OK
    let answered = false;
    let failed: ConnectError | undefined; // ours: a deadline, a cancel, a bad answer, an HTTP status
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = (err: ConnectError) => {
      failed ??= err;
      stream.reset(ErrorCode.CANCEL);
    };
    const onAbort = () => stop(canceled());
    if (opts.deadline !== undefined) {
      // setTimeout fires at once past 2^31-1 ms: a deadline weeks away needs no timer.
      const left = opts.deadline - Date.now();
      if (left < MAX_TIMER_MS)
        timer = setTimeout(
          () => stop(new ConnectError(`deadline exceeded waiting for runtime ${backend.label}`, Code.DeadlineExceeded)),
          left,
        );
    }
    opts.signal?.addEventListener("abort", onAbort);
    const readStatus = (fields: Fields) => {
      status = errorFromFields(fields) ?? null;
    };
    stream.onHeaders = (fields) => {
      if (answered) {
        if (opts.answer) keepAnswerMetadata(fields, opts.answer.trailers);
        // Trailers: without grpc-status the answer is not known to be whole (Connect's validateTrailer).
        if (!hasStatus(fields)) return stop(missingStatus(backend.label, path));
        return readStatus(fields);
      }
      answered = true;
      // Checked as Connect's validateResponse checks them: the HTTP status first (the gRPC spec
      // maps it: 404 is Unimplemented, as grpc-go reads it), then a gRPC content-type.
      const problem = answerProblem(fields, backend.label);
      if (problem) return stop(problem);
      if (hasStatus(fields)) {
        // Trailers-only: an error (or OK) with no body.
        if (opts.answer) keepAnswerMetadata(fields, opts.answer.trailers);
        return readStatus(fields);
      }
      if (opts.answer) keepAnswerMetadata(fields, opts.answer.headers);
    };
    stream.onData = (chunk) => {
      received += chunk.length;
      if (failed) return;
      try {
        sink.data(chunk, stream, stop);
      } catch (e) {
        stop(ConnectError.from(e));
      }
    };
    stream.onClose = (code, cause) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (failed) return reject(failed);
      if (status === null) {
        try {
          return resolve(sink.end());
        } catch (e) {
          return reject(e);
        }
      }
      if (status) return reject(status);
      // Only a stream the runtime refused unprocessed is sent again: a reset after it may
      // have acted (RunPodSandbox) must not run twice.
      if (!answered && (cause === "refused" || (cause === "reset-by-peer" && code === ErrorCode.REFUSED_STREAM)))
        return reject(new Refused());
      if (cause === "connection-lost")
        return reject(
          new ConnectError(
            `runtime ${backend.label} is unavailable: its connection closed during the call`,
            Code.Unavailable,
          ),
        );
      if (cause === "done") return reject(missingStatus(backend.label, path)); // ended cleanly, no trailers
      reject(
        code !== ErrorCode.NO_ERROR
          ? resetError(errorName(code), backend.label)
          : new ConnectError(`runtime ${backend.label} closed the stream without a status`, Code.Unavailable),
      );
    };
    if (opts.signal?.aborted) return onAbort();
    stream.write(framedMessage(message)).catch(() => {}); // a stream closed before its request went out reports through onClose
    stream.end();
  });
  if (!trace) return done;
  return done.then(
    (v) => (trace.end(undefined, message.length + 5, received), v),
    (e) => {
      trace.end(
        e instanceof Refused ? new ConnectError("refused", Code.Unavailable) : ConnectError.from(e),
        message.length + 5,
        received,
      );
      throw e;
    },
  );
}
