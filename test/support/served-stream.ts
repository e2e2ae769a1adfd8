// serveStream with the client played over in-memory HTTP/2 (no sockets), for the server tests:
// a server whose handlers are recorded, and a client request whose answer fills in as it comes.
import { ByteBudget } from "../../src/grpc/byte-budget.ts";
import type { Call, Handlers } from "../../src/grpc/call.ts";
import type { HeaderList } from "../../src/h2/hpack.ts";
import { serveStream } from "../../src/server/serve-stream.ts";
import { h2Pair } from "./h2-pair.ts";

export const UNARY = "/runtime.v1.RuntimeService/PodSandboxStatus";
export const STREAM = "/runtime.v1.RuntimeService/StreamPodSandboxes";

export interface Seen {
  headers?: HeaderList;
  trailers?: HeaderList;
  body: Buffer[];
  closed?: { code: number; cause: string };
}

/** serveStream behind in-memory HTTP/2, with `handlers` (defaults: an empty answer) and what it reported. */
export function server(handlers: Partial<Handlers>, opts: { budget?: ByteBudget; stuckReaderMs?: number } = {}) {
  const faults: unknown[] = [];
  const stuck: string[] = [];
  const refused: string[] = [];
  const calls: Call[] = [];
  const budget = opts.budget ?? new ByteBudget(64 * 1024 * 1024);
  const unary = handlers.unary ?? (async () => new Uint8Array());
  const stream = handlers.stream ?? (async () => {});
  const all: Handlers = {
    unary: (call) => (calls.push(call), unary(call)),
    stream: (call, send) => (calls.push(call), stream(call, send)),
  };
  const pair = h2Pair({
    onStream: (s, h) =>
      serveStream(s, h, {
        handlers: all,
        budget,
        stuckReaderMs: opts.stuckReaderMs ?? 5000,
        onFault: (e) => faults.push(e),
        onStuck: (p) => stuck.push(p),
        onRefused: (r) => refused.push(r),
      }),
  });
  /** The client sends a request; `seen` fills in as the answer comes. */
  const request = (path: string, body: Buffer | undefined, extra: [string, string][] = [], end = true) => {
    const s = pair.client.request([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", path],
      [":authority", "/run/criproxy.sock"],
      ["content-type", "application/grpc"],
      ...extra,
    ]);
    const seen: Seen = { body: [] };
    s.onHeaders = (h) => (seen.headers ? (seen.trailers = h) : (seen.headers = h));
    s.onData = (c) => void seen.body.push(c);
    s.onClose = (code, cause) => (seen.closed = { code, cause });
    if (body) void s.write(body).catch(() => {});
    if (end) s.end();
    return { stream: s, seen };
  };
  return { pair, request, faults, stuck, refused, calls, budget };
}

export const statusOf = (seen: Seen) => Object.fromEntries(seen.trailers ?? seen.headers ?? [])["grpc-status"];
export const messageOf = (seen: Seen) =>
  decodeURIComponent(Object.fromEntries(seen.trailers ?? seen.headers ?? [])["grpc-message"] ?? "");
