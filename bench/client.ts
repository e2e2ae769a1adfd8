// The load generator: a gRPC client that is not part of the proxy, sending pre-encoded
// requests and taking answers as raw bytes, so the client's own decode cost does not
// dominate what the benchmark measures. kubelet is grpc-go; these are the nearest
// independent clients that run here.
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  connect as http2Connect,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from "node:http2";
import { connect as netConnect } from "node:net";
import { ImageService, RuntimeService } from "../src/gen/runtime/v1/api_pb.ts";

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** kubelet's runtime request timeout: every call carries a deadline this far out. */
const KUBELET_DEADLINE_MS = 120_000;

const identity = (b: Buffer) => b;

/** A CRI method with its request already encoded. */
export interface PreparedCall {
  readonly method: string;
  readonly path: string;
  readonly request: Buffer;
}

/** Encodes `request` for the RuntimeService or ImageService `method` once, for every call of a run. */
export function prepare(method: string, request: object = {}): PreparedCall {
  const service = RuntimeService.methods.some((m) => m.name === method) ? RuntimeService : ImageService;
  const desc = service.methods.find((m) => m.name === method);
  if (!desc) throw new Error(`unknown CRI method ${method}`);
  const input = desc.input as DescMessage;
  return {
    method,
    path: `/${service.typeName}/${method}`,
    request: Buffer.from(toBinary(input, create(input, request as MessageInitShape<DescMessage>))),
  };
}

/** A benchmark client: one HTTP/2 connection to a CRI socket, as kubelet keeps one. */
export interface BenchClient {
  /** One unary call with kubelet's deadline; resolves with the answer message's bytes. */
  call(c: PreparedCall): Promise<Buffer>;
  /** `concurrency` callers in a closed loop for `durationMs`. */
  round(c: PreparedCall, concurrency: number, durationMs: number): Promise<RoundResult>;
  close(): void;
}

/** Which client drives the load: a plain node:http2 gRPC client (default) or @grpc/grpc-js. */
export type ClientKind = "http2" | "grpc-js";

/** A client of `kind` on `socket`. */
export function benchClient(kind: ClientKind, socket: string): BenchClient {
  return kind === "grpc-js" ? new GrpcJsClient(socket) : new Http2Client(socket);
}

/** Calls until it answers or `timeoutMs` passes (the proxy waits for its backends to connect). */
export async function waitAnswer(client: BenchClient, c: PreparedCall, timeoutMs: number): Promise<Buffer> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await client.call(c);
    } catch (e) {
      if (Date.now() > end) throw e;
      await Bun.sleep(20);
    }
  }
}

/** The receive window both clients use (see GrpcJsClient for why it is not 64 KiB). */
const WINDOW_BYTES = 4 * 1024 * 1024;
const EMPTY_PREFIX = Buffer.alloc(5);

/**
 * gRPC over node:http2, sending what grpc-go sends (no grpc-accept-encoding: kubelet's
 * runtimes never compress unasked). grpc-js always advertises `identity,deflate,gzip`,
 * and the Connect-based fake runtime then gzips every answer over 1 KiB: the direct
 * lists would pay gzip + gunzip that the proxied ones (the proxy asks for identity) do not.
 */
class Http2Client implements BenchClient {
  private current: ClientHttp2Session | undefined;

  constructor(private readonly socket: string) {}

  // A session that failed (a connect racing the server's listen) is replaced on the next call.
  private get session(): ClientHttp2Session {
    if (this.current && !this.current.closed && !this.current.destroyed) return this.current;
    const session = http2Connect("http://localhost", {
      createConnection: () => netConnect(this.socket),
      settings: { initialWindowSize: WINDOW_BYTES },
    });
    session.on("error", () => {});
    session.on("close", () => {
      if (this.current === session) this.current = undefined;
    });
    session.on("connect", () => session.setLocalWindowSize?.(WINDOW_BYTES));
    this.current = session;
    return session;
  }

  call(c: PreparedCall, deadlineMs = KUBELET_DEADLINE_MS): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let stream: ClientHttp2Stream;
      try {
        stream = this.session.request({
          ":method": "POST",
          ":path": c.path,
          "content-type": "application/grpc",
          te: "trailers",
          "grpc-timeout": `${deadlineMs}m`,
          "user-agent": "criproxy-bench",
        });
      } catch (e) {
        return reject(e);
      }
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = "";
      const read = (h: IncomingHttpHeaders) => {
        if (h["grpc-status"] !== undefined) {
          status = String(h["grpc-status"]);
          message = decodeURIComponent(String(h["grpc-message"] ?? ""));
        }
      };
      stream.on("response", read);
      stream.on("trailers", read);
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", () => {});
      stream.on("close", () => {
        if (status !== "0")
          return reject(new Error(`grpc-status ${status ?? "none"} (rst ${stream.rstCode}): ${message}`));
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        resolve(body.subarray(5));
      });
      if (c.request.length === 0) stream.end(EMPTY_PREFIX);
      else {
        const head = Buffer.allocUnsafe(5);
        head[0] = 0;
        head.writeUInt32BE(c.request.length, 1);
        stream.end(Buffer.concat([head, c.request]));
      }
    });
  }

  round(c: PreparedCall, concurrency: number, durationMs: number): Promise<RoundResult> {
    return runRound(this, c, concurrency, durationMs);
  }

  close(): void {
    this.current?.close();
  }
}

/** @grpc/grpc-js with identity (de)serializers: the stock Node gRPC client. */
class GrpcJsClient implements BenchClient {
  private readonly client: grpc.Client;

  constructor(readonly socket: string) {
    this.client = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
      // grpc-go (kubelet) grows its receive window by BDP estimation to megabytes within a
      // few calls; grpc-js stays at 64 KiB unless told, and then a 1 MB list waits on
      // WINDOW_UPDATE round trips in whatever sends it. A fixed 4 MiB window (the proxy's
      // own) stands for kubelet's steady state, so direct and proxied lists are not
      // bounded by the client's flow control.
      "grpc-node.flow_control_window": WINDOW_BYTES,
    });
  }

  call(c: PreparedCall, deadlineMs = KUBELET_DEADLINE_MS): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        c.path,
        identity,
        identity,
        c.request,
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (err, value) => (err ? reject(err) : resolve(value!)),
      );
    });
  }

  round(c: PreparedCall, concurrency: number, durationMs: number): Promise<RoundResult> {
    return runRound(this, c, concurrency, durationMs);
  }

  close(): void {
    this.client.close();
  }
}

/** What one timed round produced. */
export interface RoundResult {
  readonly calls: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  readonly firstError?: string;
}

/** Runs `concurrency` callers in a closed loop for `durationMs`; every latency is kept. */
export async function runRound(
  client: Pick<BenchClient, "call">,
  c: PreparedCall,
  concurrency: number,
  durationMs: number,
): Promise<RoundResult> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await client.call(c);
        latenciesMs.push(performance.now() - t0);
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { calls: latenciesMs.length, errors, elapsedMs: performance.now() - start, latenciesMs, firstError };
}
