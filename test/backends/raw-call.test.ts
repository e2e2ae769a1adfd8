// A runtime call as raw bytes, against a scripted runtime over in-memory HTTP/2 (no sockets):
// what the proxy makes of trailers-only answers, errors after data, deadlines and hang-ups at
// each phase, REFUSED_STREAM, resets, a lost connection, and backpressure on streams.
import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { streamRaw, unaryRaw } from "../../src/backends/raw-call.ts";
import { ErrorCode } from "../../src/h2/frames.ts";
import type { H2Stream } from "../../src/h2/stream.ts";
import { frame } from "../support/grpc-frame.ts";
import { OK_HEADERS, scriptedRuntime, trailers } from "../support/scripted-runtime.ts";
import { waitFor } from "../support/wait.ts";

const PATH = "/runtime.v1.RuntimeService/ListPodSandbox";
const msg = Buffer.from("a message");
const codeOf = (e: unknown) => ConnectError.from(e).code;
const answerWith = (s: H2Stream) => (s.sendHeaders(OK_HEADERS), s.write(frame(msg)), s.end(trailers()));
const silent = () => {};

describe("unary answers", () => {
  test("an answer flows in: headers, data, OK trailers; the request carries gRPC's headers", async () => {
    const rt = scriptedRuntime("vm", [(s) => (s.onEnd = () => answerWith(s))]);
    const answer = await unaryRaw(rt, PATH, Buffer.from("req"), { deadline: Date.now() + 5000 });
    expect(await answer.message()).toEqual(msg);
    const h = Object.fromEntries(rt.requests[0].headers);
    expect(h).toMatchObject({ ":method": "POST", ":path": PATH, "content-type": "application/grpc", te: "trailers" });
    expect(h["grpc-timeout"]).toMatch(/^\d+m$/);
    expect(Buffer.concat(rt.requests[0].body).equals(frame(Buffer.from("req")))).toBe(true);
  });

  test("a trailers-only error is the runtime's status, verbatim, and not a transport failure", async () => {
    const rt = scriptedRuntime("vm", [
      (s) => s.sendHeaders([...OK_HEADERS, ...trailers(5, "pod%20x%20not%20found")], true),
    ]);
    const e = await unaryRaw(rt, PATH, msg).catch((e) => e);
    expect(codeOf(e)).toBe(Code.NotFound);
    expect((e as ConnectError).rawMessage).toBe("pod x not found");
    expect(rt.failures).toEqual([]);
  });

  test("an error after data ends the answer kubelet is already receiving with the runtime's status", async () => {
    const rt = scriptedRuntime("vm", [
      (s) => (
        s.sendHeaders(OK_HEADERS), s.write(frame(msg).subarray(0, 4)), setTimeout(() => s.end(trailers(13, "boom")), 5)
      ),
    ]);
    const answer = await unaryRaw(rt, PATH, msg);
    const e = await answer.message().catch((e) => e);
    expect(codeOf(e)).toBe(Code.Internal);
    expect((e as ConnectError).rawMessage).toBe("boom");
  });

  test("a reset after the headers is Unavailable (retry later), naming the runtime and the code", async () => {
    const rt = scriptedRuntime("vm", [(s) => (s.sendHeaders(OK_HEADERS), s.reset(ErrorCode.INTERNAL_ERROR))]);
    const e = await unaryRaw(rt, PATH, msg).catch((e) => e);
    expect(codeOf(e)).toBe(Code.Unavailable);
    expect((e as ConnectError).rawMessage).toBe("runtime vm reset the stream (NGHTTP2_INTERNAL_ERROR)");
  });

  test("a stream ended without a status is Internal, as Connect reads it (missing status)", async () => {
    const rt = scriptedRuntime("vm", [(s) => (s.sendHeaders(OK_HEADERS), s.write(frame(msg)), s.end())]);
    const answer = await unaryRaw(rt, PATH, msg);
    const e = await answer.message().catch((e) => e);
    expect(codeOf(e)).toBe(Code.Internal);
    expect((e as ConnectError).rawMessage).toBe(
      `runtime vm ended ${PATH} without a grpc-status (protocol error: missing status)`,
    );
  });

  test("trailers without grpc-status are an error, never OK", async () => {
    const rt = scriptedRuntime("vm", [
      (s) => (s.sendHeaders(OK_HEADERS), s.write(frame(msg)), s.end([["x-other", "1"]])),
    ]);
    const answer = await unaryRaw(rt, PATH, msg);
    const e = await answer.message().catch((e) => e);
    expect(codeOf(e)).toBe(Code.Internal);
    expect((e as ConnectError).rawMessage).toContain("without a grpc-status");
    const streamed = scriptedRuntime("vm", [
      (s) => (s.sendHeaders(OK_HEADERS), s.write(frame(msg)), s.end([["x-other", "1"]])),
    ]);
    expect(codeOf(await streamRaw(streamed, PATH, msg, () => {}).catch((e) => e))).toBe(Code.Internal);
  });

  test.each([
    {
      desc: "text/plain",
      headers: [
        [":status", "200"],
        ["content-type", "text/plain"],
      ],
      code: Code.Unknown,
      text: 'content-type "text/plain", not application/grpc',
    },
    {
      desc: "gRPC as JSON (CRI is protobuf)",
      headers: [
        [":status", "200"],
        ["content-type", "application/grpc+json"],
      ],
      code: Code.Unknown,
      text: "not application/grpc",
    },
    { desc: "no content-type at all", headers: [[":status", "200"]], code: Code.Unknown, text: 'content-type ""' },
    {
      desc: "HTTP 404, even with a grpc-status",
      headers: [
        [":status", "404"],
        ["content-type", "application/grpc"],
        ["grpc-status", "0"],
      ],
      code: Code.Unimplemented,
      text: "answered HTTP 404",
    },
  ] as { desc: string; headers: [string, string][]; code: Code; text: string }[])(
    "an answer with $desc is refused, naming the runtime",
    async ({ headers, code, text }) => {
      const rt = scriptedRuntime("vm", [(s) => (s.sendHeaders(headers), s.write(frame(msg)), s.end(trailers()))]);
      const e = await unaryRaw(rt, PATH, msg).catch((e) => e);
      expect(codeOf(e)).toBe(code);
      expect((e as ConnectError).rawMessage).toContain("runtime vm");
      expect((e as ConnectError).rawMessage).toContain(text);
    },
  );

  test("application/grpc+proto is gRPC too", async () => {
    const rt = scriptedRuntime("vm", [
      (s) => (
        s.sendHeaders([
          [":status", "200"],
          ["content-type", "application/grpc+proto"],
        ]),
        s.write(frame(msg)),
        s.end(trailers())
      ),
    ]);
    expect(await (await unaryRaw(rt, PATH, msg)).message()).toEqual(msg);
  });

  test("REFUSED_STREAM before any answer is sent again, transparently (at most 3 times)", async () => {
    const refuse = (s: H2Stream) => s.reset(ErrorCode.REFUSED_STREAM);
    const rt = scriptedRuntime("vm", [refuse, refuse, (s) => (s.onEnd = () => answerWith(s))]);
    expect(await (await unaryRaw(rt, PATH, msg)).message()).toEqual(msg);
    expect(rt.requests.length).toBe(3);
    const stubborn = scriptedRuntime("vm", [refuse, refuse, refuse]);
    const e = await unaryRaw(stubborn, PATH, msg).catch((e) => e);
    expect(codeOf(e)).toBe(Code.Unavailable);
    expect((e as ConnectError).rawMessage).toBe("runtime vm refused the stream");
  });

  test("REFUSED_STREAM after the headers is not retried: the runtime may have acted", async () => {
    const rt = scriptedRuntime("vm", [(s) => (s.sendHeaders(OK_HEADERS), s.reset(ErrorCode.REFUSED_STREAM))]);
    expect(codeOf(await unaryRaw(rt, PATH, msg).catch((e) => e))).toBe(Code.Unavailable);
    expect(rt.requests.length).toBe(1);
  });

  test("the connection lost mid-answer: Unavailable, saying so", async () => {
    const rt = scriptedRuntime("vm", [
      (s, _h, pair) => (s.sendHeaders(OK_HEADERS), s.write(frame(msg).subarray(0, 3)), setTimeout(() => pair.cut(), 5)),
    ]);
    const answer = await unaryRaw(rt, PATH, msg);
    const e = await answer.message().catch((e) => e);
    expect(codeOf(e)).toBe(Code.Unavailable);
    expect((e as ConnectError).rawMessage).toContain("its connection closed during the call");
  });
});

describe("deadlines and hang-ups at each phase", () => {
  test("a deadline already past never opens a stream", async () => {
    const rt = scriptedRuntime("vm", []);
    expect(codeOf(await unaryRaw(rt, PATH, msg, { deadline: Date.now() - 1 }).catch((e) => e))).toBe(
      Code.DeadlineExceeded,
    );
    expect(rt.requests.length).toBe(0);
  });

  test("no headers before the deadline: DeadlineExceeded, and the runtime's stream is canceled", async () => {
    const rt = scriptedRuntime("vm", [silent]);
    const e = await unaryRaw(rt, PATH, msg, { deadline: Date.now() + 30 }).catch((e) => e);
    expect(codeOf(e)).toBe(Code.DeadlineExceeded);
    await waitFor(() => rt.streams[0]?.rstCode !== undefined, 2000, "the runtime's stream reset");
    expect(rt.streams[0].rstCode).toBe(ErrorCode.CANCEL);
  });

  test("a stall after partial data: the answer ends with DeadlineExceeded", async () => {
    const rt = scriptedRuntime("vm", [(s) => (s.sendHeaders(OK_HEADERS), s.write(frame(msg).subarray(0, 3)))]);
    const answer = await unaryRaw(rt, PATH, msg, { deadline: Date.now() + 30 });
    expect(codeOf(await answer.message().catch((e) => e))).toBe(Code.DeadlineExceeded);
    await waitFor(() => rt.streams[0]?.rstCode !== undefined, 2000, "the runtime's stream reset");
    expect(rt.streams[0].rstCode).toBe(ErrorCode.CANCEL);
  });

  test("kubelet hanging up before the headers cancels the runtime's stream", async () => {
    const rt = scriptedRuntime("vm", [silent]);
    const hangUp = new AbortController();
    const pending = unaryRaw(rt, PATH, msg, { signal: hangUp.signal }).catch((e) => e);
    await waitFor(() => rt.streams.length > 0, 2000, "the runtime got the call");
    hangUp.abort();
    expect(codeOf(await pending)).toBe(Code.Canceled);
    await waitFor(() => rt.streams[0]?.rstCode !== undefined, 2000, "the runtime's stream reset");
    expect(rt.streams[0].rstCode).toBe(ErrorCode.CANCEL);
  });

  test("kubelet hanging up mid-answer cancels the runtime's stream and ends the answer", async () => {
    const rt = scriptedRuntime("vm", [(s) => (s.sendHeaders(OK_HEADERS), s.write(frame(msg).subarray(0, 3)))]);
    const hangUp = new AbortController();
    const answer = await unaryRaw(rt, PATH, msg, { signal: hangUp.signal });
    hangUp.abort();
    expect(codeOf(await answer.message().catch((e) => e))).toBe(Code.Canceled);
    await waitFor(() => rt.streams[0]?.rstCode !== undefined, 2000, "the runtime's stream reset");
    expect(rt.streams[0].rstCode).toBe(ErrorCode.CANCEL);
  });
});

describe("streams", () => {
  test("messages arrive one by one; a slow taker pauses the runtime, which is held by flow control", async () => {
    let release!: () => void;
    const taken = new Promise<void>((r) => (release = r));
    const big = Buffer.alloc(40_000, 1);
    let wrote = 0;
    const rt = scriptedRuntime("vm", [
      async (s) => {
        s.sendHeaders(OK_HEADERS);
        for (let i = 0; i < 8; i++) await s.write(frame(big)).then(() => wrote++);
        s.end(trailers());
      },
    ]);
    const got: number[] = [];
    const done = streamRaw(rt, PATH, msg, (m) => {
      got.push(m.length);
      return got.length === 1 ? taken : undefined;
    });
    await Bun.sleep(30);
    // Paused after the first message: the runtime could send only what the window allowed (64 KiB).
    expect(got.length).toBeLessThan(3);
    expect(wrote).toBeLessThan(3);
    release();
    await done;
    expect(got).toEqual(Array(8).fill(40_000));
  });

  test("a stream cut mid-message is Internal, not a silently short list", async () => {
    const rt = scriptedRuntime("vm", [
      (s) => (s.sendHeaders(OK_HEADERS), s.write(frame(msg).subarray(0, 7)), s.end(trailers())),
    ]);
    const e = await streamRaw(rt, PATH, msg, () => {}).catch((e) => e);
    expect(codeOf(e)).toBe(Code.Internal);
    expect((e as ConnectError).rawMessage).toContain("mid-message");
  });
});
