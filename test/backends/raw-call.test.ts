// A runtime call as raw bytes, against a scripted runtime stream (no sockets): what the proxy
// makes of trailers-only answers, errors after data, deadlines and hang-ups at each phase,
// REFUSED_STREAM, resets, and that one failed stream never condemns the runtime.
import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { constants } from "node:http2";
import { streamRaw, unaryRaw } from "../../src/backends/raw-call.ts";
import { frame, scriptedTarget, type FakeClientStream } from "../support/fake-h2-stream.ts";

const PATH = "/runtime.v1.RuntimeService/ListPodSandbox";
const msg = Buffer.from("a message");
const codeOf = (e: unknown) => ConnectError.from(e).code;
const answerWith = (s: FakeClientStream) => (s.headers(), s.data(frame(msg)), s.trailers());

describe("unary answers", () => {
  test("an answer flows in: headers, data, OK trailers", async () => {
    const rt = scriptedTarget("vm", [answerWith]);
    const answer = await unaryRaw(rt, PATH, Buffer.from("req"));
    expect(await answer.message()).toEqual(msg);
    expect(Buffer.concat(rt.opened[0].request).equals(frame(Buffer.from("req")))).toBe(true);
  });

  test("a trailers-only error is the runtime's status, verbatim", async () => {
    const rt = scriptedTarget("vm", [(s) => (s.headers({ ":status": 200, "grpc-status": "5", "grpc-message": "pod%20x%20not%20found" }), s.reset(0))]);
    const e = await unaryRaw(rt, PATH, msg).catch((e) => e);
    expect(codeOf(e)).toBe(Code.NotFound);
    expect((e as ConnectError).rawMessage).toBe("pod x not found");
    expect(rt.failures).toEqual([]); // a runtime's answer is not a transport failure
  });

  test("an error after data ends the answer kubelet is already receiving with the runtime's status", async () => {
    const rt = scriptedTarget("vm", [(s) => (s.headers(), s.data(frame(msg).subarray(0, 4)), queueMicrotask(() => s.trailers({ "grpc-status": "13", "grpc-message": "boom" })))]);
    const answer = await unaryRaw(rt, PATH, msg);
    const e = await answer.message().catch((e) => e);
    expect(codeOf(e)).toBe(Code.Internal);
    expect((e as ConnectError).rawMessage).toBe("boom");
  });

  test("a reset after the headers is Internal, naming the runtime and the code", async () => {
    const rt = scriptedTarget("vm", [(s) => (s.headers(), s.reset(constants.NGHTTP2_INTERNAL_ERROR))]);
    const e = await unaryRaw(rt, PATH, msg).catch((e) => e);
    expect(codeOf(e)).toBe(Code.Internal);
    expect((e as ConnectError).rawMessage).toBe("runtime vm reset the stream (NGHTTP2_INTERNAL_ERROR)");
  });

  test("a stream closed without a status is Unavailable", async () => {
    const rt = scriptedTarget("vm", [(s) => (s.headers(), s.data(frame(msg)), s.reset(constants.NGHTTP2_NO_ERROR))]);
    const answer = await unaryRaw(rt, PATH, msg);
    expect(codeOf(await answer.message().catch((e) => e))).toBe(Code.Unavailable);
  });

  test("REFUSED_STREAM before any answer is sent again, transparently (at most 3 times)", async () => {
    const refuse = (s: FakeClientStream) => s.reset(constants.NGHTTP2_REFUSED_STREAM);
    const rt = scriptedTarget("vm", [refuse, refuse, answerWith]);
    expect(await (await unaryRaw(rt, PATH, msg)).message()).toEqual(msg);
    expect(rt.opened.length).toBe(3);
    const stubborn = scriptedTarget("vm", [refuse, refuse, refuse]);
    const e = await unaryRaw(stubborn, PATH, msg).catch((e) => e);
    expect(codeOf(e)).toBe(Code.Unavailable);
    expect((e as ConnectError).rawMessage).toBe("runtime vm refused the stream");
  });

  test("REFUSED_STREAM after the headers is not retried: the runtime may have acted", async () => {
    const rt = scriptedTarget("vm", [(s) => (s.headers(), s.reset(constants.NGHTTP2_REFUSED_STREAM)), answerWith]);
    expect(codeOf(await unaryRaw(rt, PATH, msg).catch((e) => e))).toBe(Code.Unavailable);
    expect(rt.opened.length).toBe(1);
  });
});

describe("deadlines and hang-ups at each phase", () => {
  const silent = () => {};
  test("a deadline already past never opens a stream", async () => {
    const rt = scriptedTarget("vm", []);
    expect(codeOf(await unaryRaw(rt, PATH, msg, { deadline: Date.now() - 1 }).catch((e) => e))).toBe(Code.DeadlineExceeded);
    expect(rt.opened.length).toBe(0);
  });

  test("no headers before the deadline: DeadlineExceeded, and the runtime's stream is canceled", async () => {
    const rt = scriptedTarget("vm", [silent]);
    const e = await unaryRaw(rt, PATH, msg, { deadline: Date.now() + 30 }).catch((e) => e);
    expect(codeOf(e)).toBe(Code.DeadlineExceeded);
    expect(rt.opened[0].canceled).toBe(true);
  });

  test("a stall after partial data: the answer ends with DeadlineExceeded", async () => {
    const rt = scriptedTarget("vm", [(s) => (s.headers(), s.data(frame(msg).subarray(0, 3)))]);
    const answer = await unaryRaw(rt, PATH, msg, { deadline: Date.now() + 30 });
    expect(codeOf(await answer.message().catch((e) => e))).toBe(Code.DeadlineExceeded);
    expect(rt.opened[0].canceled).toBe(true);
  });

  test("kubelet hanging up before the headers cancels the runtime's stream", async () => {
    const rt = scriptedTarget("vm", [silent]);
    const hangUp = new AbortController();
    const pending = unaryRaw(rt, PATH, msg, { signal: hangUp.signal }).catch((e) => e);
    await Bun.sleep(5);
    hangUp.abort();
    expect(codeOf(await pending)).toBe(Code.Canceled);
    expect(rt.opened[0].canceled).toBe(true);
  });

  test("kubelet hanging up mid-answer cancels the runtime's stream and ends the answer", async () => {
    const rt = scriptedTarget("vm", [(s) => (s.headers(), s.data(frame(msg).subarray(0, 3)))]);
    const hangUp = new AbortController();
    const answer = await unaryRaw(rt, PATH, msg, { signal: hangUp.signal });
    hangUp.abort();
    expect(codeOf(await answer.message().catch((e) => e))).toBe(Code.Canceled);
    expect(rt.opened[0].canceled).toBe(true);
  });
});

describe("streams", () => {
  test("messages arrive one by one; a slow taker pauses the runtime's stream until it has taken them", async () => {
    let release!: () => void;
    const taken = new Promise<void>((r) => (release = r));
    let stream!: FakeClientStream;
    const rt = scriptedTarget("vm", [(s) => ((stream = s), s.headers(), s.data(Buffer.concat([frame(Buffer.from("one")), frame(Buffer.from("two"))])))]);
    const got: string[] = [];
    const done = streamRaw(rt, PATH, msg, (m) => {
      got.push(m.toString());
      return taken;
    });
    await Bun.sleep(5);
    expect(got).toEqual(["one", "two"]);
    expect(stream.paused).toBe(true);
    release();
    await Bun.sleep(1);
    expect(stream.paused).toBe(false);
    stream.trailers();
    await done;
  });

  test("a stream cut mid-message is Internal, not a silently short list", async () => {
    const rt = scriptedTarget("vm", [(s) => (s.headers(), s.data(frame(msg).subarray(0, 7)), s.trailers())]);
    const e = await streamRaw(rt, PATH, msg, () => {}).catch((e) => e);
    expect(codeOf(e)).toBe(Code.Internal);
    expect((e as ConnectError).rawMessage).toContain("mid-message");
  });
});
