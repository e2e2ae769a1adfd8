// One gRPC call on one HTTP/2 stream, with the client played over in-memory HTTP/2 (no
// sockets): the answer's shape (trailers-only, data then trailers), errors after data,
// hang-ups and deadlines at each phase, a client that stops reading, bounded request bodies.
import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Answer } from "../../src/grpc/answer.ts";
import { RawAnswer } from "../../src/grpc/raw-answer.ts";
import { ErrorCode } from "../../src/h2/frames.ts";
import { frame } from "../support/grpc-frame.ts";
import { settle } from "../support/h2-pair.ts";
import { messageOf, server, STREAM, statusOf, UNARY } from "../support/served-stream.ts";
import { waitFor } from "../support/wait.ts";

describe("unary answers", () => {
  test("headers, the framed message, OK trailers; the handler gets the request and kubelet's deadline; the raw path as :authority is fine", async () => {
    const t = server({ unary: async () => Buffer.from("answer") });
    const { seen } = t.request(UNARY, frame(Buffer.from("req")), [["grpc-timeout", "2000m"]]);
    await settle();
    expect(t.calls[0].request.toString()).toBe("req");
    expect(t.calls[0].deadline! - Date.now()).toBeGreaterThan(1900);
    expect(Object.fromEntries(seen.headers!)[":status"]).toBe("200");
    expect(Buffer.concat(seen.body).equals(frame(Buffer.from("answer")))).toBe(true);
    expect(seen.trailers).toEqual([["grpc-status", "0"]]);
    expect(seen.closed).toEqual({ code: 0, cause: "done" });
  });

  test("an error before any answer is trailers-only, with the status in the headers", async () => {
    const t = server({
      unary: async () => Promise.reject(new ConnectError('runtime vm: pod sandbox "x" not found', Code.NotFound)),
    });
    const { seen } = t.request(UNARY, frame(Buffer.from("req")));
    await settle();
    expect(seen.trailers).toBeUndefined();
    expect(statusOf(seen)).toBe(String(Code.NotFound));
    expect(messageOf(seen)).toBe('runtime vm: pod sandbox "x" not found');
    expect(seen.body).toEqual([]);
    expect(t.faults).toEqual([]); // a status someone meant is not a proxy fault
  });

  test("something thrown that is not a status is the proxy's own fault: Internal, and reported", async () => {
    const t = server({ unary: async () => (null as unknown as { x: number }).x as never });
    const { seen } = t.request(UNARY, frame(Buffer.from("req")));
    await settle();
    expect(statusOf(seen)).toBe(String(Code.Internal));
    expect(t.faults.length).toBe(1);
  });

  test("an error after data goes in the trailers of the answer already started", async () => {
    const raw = new RawAnswer("answer of runtime vm");
    const t = server({ unary: async () => raw });
    const { seen } = t.request(UNARY, frame(Buffer.from("req")));
    raw.push(frame(Buffer.alloc(100_000)).subarray(0, 80_000));
    await settle();
    raw.end(new ConnectError("runtime vm reset the stream (NGHTTP2_INTERNAL_ERROR)", Code.Internal));
    await settle();
    expect(Object.fromEntries(seen.headers!)[":status"]).toBe("200");
    expect(Buffer.concat(seen.body).length).toBe(80_000);
    expect(statusOf(seen)).toBe(String(Code.Internal));
  });
});

describe("hang-ups and deadlines at each phase", () => {
  test("before the request has arrived: no call is made, and its bytes are given back", async () => {
    const t = server({});
    const { stream } = t.request(UNARY, frame(Buffer.alloc(1000)).subarray(0, 500), [], false);
    await settle();
    expect(t.budget.used).toBe(500);
    stream.reset(ErrorCode.CANCEL);
    await settle();
    expect(t.calls).toEqual([]);
    expect(t.budget.used).toBe(0);
  });

  test("while the runtime is answering: the call's signal aborts (the runtime's call is canceled)", async () => {
    const t = server({ unary: () => new Promise<Answer>(() => {}) });
    const { stream } = t.request(UNARY, frame(Buffer.from("req")));
    await settle();
    expect(t.calls[0].signal.aborted).toBe(false);
    stream.reset(ErrorCode.CANCEL);
    await settle();
    expect(t.calls[0].signal.aborted).toBe(true);
  });

  test("while the answer is being written: the signal aborts too", async () => {
    const raw = new RawAnswer("answer of runtime vm");
    const t = server({ unary: async () => raw });
    const { stream } = t.request(UNARY, frame(Buffer.from("req")));
    raw.push(frame(Buffer.alloc(100)).subarray(0, 50));
    await settle();
    stream.reset(ErrorCode.CANCEL);
    await settle();
    expect(t.calls[0].signal.aborted).toBe(true);
  });

  test("a malformed grpc-timeout is InvalidArgument, trailers-only", async () => {
    const t = server({});
    const { seen } = t.request(UNARY, frame(Buffer.from("req")), [["grpc-timeout", "soon"]]);
    await settle();
    expect(statusOf(seen)).toBe(String(Code.InvalidArgument));
    expect(t.calls).toEqual([]);
  });
});

describe("a client that stops reading", () => {
  test("a unary answer it does not take ends its stream after the bound, and the runtime's call is canceled", async () => {
    const t = server({ unary: async () => Buffer.alloc(400 * 1024) }, { stuckReaderMs: 40 });
    const { stream, seen } = t.request(UNARY, frame(Buffer.from("req")));
    stream.pause(); // takes nothing: the 64 KiB window closes
    await waitFor(() => t.stuck.length > 0 && seen.closed !== undefined, 3000, "the stuck reader's stream ended");
    expect(t.stuck).toEqual([UNARY]);
    expect(seen.closed?.code).toBe(ErrorCode.CANCEL);
    expect(t.calls[0].signal.aborted).toBe(true);
  });

  test("a stream whose messages it does not take: the next send fails and the stream ends", async () => {
    let failure: unknown;
    const t = server(
      {
        stream: async (_call, send) =>
          void (await (async () => {
            for (let i = 0; i < 10; i++) await send(Buffer.alloc(30_000));
          })().catch((e) => (failure = e))),
      },
      { stuckReaderMs: 40 },
    );
    const { stream } = t.request(STREAM, frame(Buffer.from("")));
    stream.pause();
    await waitFor(() => t.stuck.length > 0 && failure !== undefined, 3000, "the stuck reader's next send failed");
    expect(t.stuck).toEqual([STREAM]);
    expect(ConnectError.from(failure).code).toBe(Code.Canceled);
  });
});
