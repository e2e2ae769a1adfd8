// One gRPC call on one HTTP/2 stream, with the client played in memory (no sockets): the
// answer's shape (trailers-only, data then trailers), errors after data, hang-ups and
// deadlines at each phase, a client that stops reading, and bounded request bodies.
import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { constants } from "node:http2";
import type { Answer } from "../../src/grpc/answer.ts";
import { ByteBudget } from "../../src/grpc/byte-budget.ts";
import type { Call, Handlers } from "../../src/grpc/call.ts";
import { RawAnswer } from "../../src/grpc/raw-answer.ts";
import { serveStream } from "../../src/server/serve-stream.ts";
import { FakeServerStream, frame } from "../support/fake-h2-stream.ts";

const UNARY = "/runtime.v1.RuntimeService/PodSandboxStatus";
const STREAM = "/runtime.v1.RuntimeService/StreamPodSandboxes";
const headersFor = (path: string, extra: Record<string, string> = {}) => ({ ":method": "POST", ":path": path, "content-type": "application/grpc", ...extra });

function serve(handlers: Partial<Handlers>, opts: { path?: string; headers?: Record<string, string>; budget?: ByteBudget; stuckReaderMs?: number } = {}) {
  const stream = new FakeServerStream();
  const faults: unknown[] = [];
  const stuck: string[] = [];
  const calls: Call[] = [];
  const budget = opts.budget ?? new ByteBudget(64 * 1024 * 1024);
  const record = <T>(f: (call: Call, ...rest: never[]) => T) => (call: Call, ...rest: never[]) => (calls.push(call), f(call, ...rest));
  serveStream(stream as never, headersFor(opts.path ?? UNARY, opts.headers), {
    handlers: { unary: record(handlers.unary ?? (async () => new Uint8Array())), stream: record(handlers.stream ?? (async () => {})) } as Handlers,
    budget,
    stuckReaderMs: opts.stuckReaderMs ?? 5000,
    onFault: (e) => faults.push(e),
    onStuck: (p) => stuck.push(p),
  });
  return { stream, faults, stuck, calls, budget };
}

const settle = () => Bun.sleep(5);

describe("unary answers", () => {
  test("headers, the framed message, OK trailers; the handler gets the request and kubelet's deadline", async () => {
    const { stream, calls } = serve({ unary: async () => Buffer.from("answer") }, { headers: { "grpc-timeout": "2000m" } });
    stream.request(frame(Buffer.from("req")));
    await settle();
    expect(calls[0].request.toString()).toBe("req");
    expect(calls[0].deadline! - Date.now()).toBeGreaterThan(1900);
    expect(stream.sent.headers?.[":status"]).toBe(200);
    expect(stream.body.equals(frame(Buffer.from("answer")))).toBe(true);
    expect(stream.sent.trailers).toEqual({ "grpc-status": "0" });
  });

  test("an error before any answer is trailers-only, with the status in the headers", async () => {
    const { stream, faults } = serve({ unary: async () => Promise.reject(new ConnectError('runtime vm: pod sandbox "x" not found', Code.NotFound)) });
    stream.request(frame(Buffer.from("req")));
    await settle();
    expect(stream.sent.headers).toMatchObject({ "grpc-status": String(Code.NotFound), "grpc-message": "runtime vm: pod sandbox \"x\" not found" });
    expect(stream.sent.data).toEqual([]);
    expect(faults).toEqual([]); // a status someone meant is not a proxy fault
  });

  test("something thrown that is not a status is the proxy's own fault: Internal, and reported", async () => {
    const { stream, faults } = serve({ unary: async () => (null as unknown as { x: number }).x as never });
    stream.request(frame(Buffer.from("req")));
    await settle();
    expect(stream.status).toBe(String(Code.Internal));
    expect(faults.length).toBe(1);
  });

  test("an error after data goes in the trailers of the answer already started", async () => {
    const raw = new RawAnswer("answer of runtime vm");
    const { stream } = serve({ unary: async () => raw });
    stream.request(frame(Buffer.from("req")));
    raw.push(frame(Buffer.from("part of a list")).subarray(0, 8));
    await settle();
    raw.end(new ConnectError("runtime vm reset the stream (NGHTTP2_INTERNAL_ERROR)", Code.Internal));
    await settle();
    expect(stream.sent.headers?.[":status"]).toBe(200);
    expect(stream.body.length).toBe(8);
    expect(stream.sent.trailers).toMatchObject({ "grpc-status": String(Code.Internal) });
  });
});

describe("hang-ups and deadlines at each phase", () => {
  test("before the request has arrived: no call is made, and its bytes are given back", async () => {
    const { stream, calls, budget } = serve({});
    stream.request(frame(Buffer.alloc(1000)).subarray(0, 500), false);
    expect(budget.used).toBe(500);
    stream.hangUp();
    await settle();
    expect(calls).toEqual([]);
    expect(budget.used).toBe(0);
  });

  test("while the runtime is answering: the call's signal aborts (the runtime's call is canceled)", async () => {
    let seen!: Call;
    const { stream } = serve({ unary: (call) => ((seen = call), new Promise<Answer>(() => {})) });
    stream.request(frame(Buffer.from("req")));
    await settle();
    expect(seen.signal.aborted).toBe(false);
    stream.hangUp();
    await settle();
    expect(seen.signal.aborted).toBe(true);
  });

  test("while the answer is being written: the signal aborts too", async () => {
    const raw = new RawAnswer("answer of runtime vm");
    let seen!: Call;
    const { stream } = serve({ unary: async (call) => ((seen = call), raw) });
    stream.request(frame(Buffer.from("req")));
    raw.push(frame(Buffer.alloc(100)).subarray(0, 50));
    await settle();
    stream.hangUp();
    await settle();
    expect(seen.signal.aborted).toBe(true);
  });

  test("a malformed grpc-timeout is InvalidArgument, trailers-only", async () => {
    const { stream, calls } = serve({}, { headers: { "grpc-timeout": "soon" } });
    stream.request(frame(Buffer.from("req")));
    await settle();
    expect(stream.status).toBe(String(Code.InvalidArgument));
    expect(calls).toEqual([]);
  });
});

describe("a client that stops reading", () => {
  test("a unary answer it does not take ends its stream after the bound", async () => {
    const big = Buffer.alloc(200 * 1024);
    const { stream, stuck, calls } = serve({ unary: async () => big }, { stuckReaderMs: 30 });
    stream.reading = false;
    stream.request(frame(Buffer.from("req")));
    await Bun.sleep(80);
    expect(stuck).toEqual([UNARY]);
    expect(stream.rstCode).toBe(constants.NGHTTP2_CANCEL);
    expect(calls[0].signal.aborted).toBe(true);
  });

  test("a stream whose messages it does not take: the next send fails and the stream ends", async () => {
    let failure: unknown;
    const { stream, stuck } = serve(
      { stream: async (_call, send) => void (await send(Buffer.from("one")).catch((e) => (failure = e))) },
      { path: STREAM, stuckReaderMs: 30 },
    );
    stream.reading = false;
    stream.request(frame(Buffer.from("")));
    await Bun.sleep(80);
    expect(stuck).toEqual([STREAM]);
    expect(ConnectError.from(failure).code).toBe(Code.Canceled);
  });
});

describe("bounded requests", () => {
  test("a request over 16 MiB is ResourceExhausted as soon as it passes the limit", async () => {
    const { stream, calls } = serve({});
    stream.request(Buffer.alloc(16 * 1024 * 1024 + 6), false);
    await settle();
    expect(stream.status).toBe(String(Code.ResourceExhausted));
    expect(calls).toEqual([]);
  });

  test("past the proxy's byte budget, ResourceExhausted naming the limit", async () => {
    const { stream, budget } = serve({}, { budget: new ByteBudget(1000) });
    stream.request(frame(Buffer.alloc(2000)));
    await settle();
    expect(stream.status).toBe(String(Code.ResourceExhausted));
    expect(String(stream.sent.headers?.["grpc-message"])).toContain("--max-buffered-bytes");
    expect(budget.refused).toBe(1);
  });

  test("a prefix that does not match the body is InvalidArgument, naming the method", async () => {
    const { stream } = serve({});
    stream.request(Buffer.from([0, 0, 0, 0, 9, 1, 2]));
    await settle();
    expect(stream.status).toBe(String(Code.InvalidArgument));
    expect(decodeURIComponent(String(stream.sent.headers?.["grpc-message"]))).toContain(UNARY);
  });
});

describe("server streams", () => {
  test("no messages: trailers-only OK", async () => {
    const { stream } = serve({ stream: async () => {} }, { path: STREAM });
    stream.request(frame(Buffer.from("")));
    await settle();
    expect(stream.sent.headers).toMatchObject({ "grpc-status": "0" });
  });

  test("messages, then an error: the messages and the error in the trailers", async () => {
    const { stream } = serve(
      {
        stream: async (_call, send) => {
          await send(Buffer.from("one"));
          throw new ConnectError("runtime primary is unavailable: its connection closed during the call", Code.Unavailable);
        },
      },
      { path: STREAM },
    );
    stream.request(frame(Buffer.from("")));
    await settle();
    expect(stream.body.equals(frame(Buffer.from("one")))).toBe(true);
    expect(stream.sent.trailers).toMatchObject({ "grpc-status": String(Code.Unavailable) });
  });
});
