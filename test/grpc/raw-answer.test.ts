// A runtime's answer on its way to kubelet: checked as it arrives (prefix, size, a cut message)
// and held back at the runtime when kubelet reads slowly, so memory per slow reader is bounded.
import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { RawAnswer } from "../../src/grpc/raw-answer.ts";
import { frame } from "../support/grpc-frame.ts";

function source() {
  const log: string[] = [];
  return { log, pause: () => void log.push("pause"), resume: () => void log.push("resume") };
}

describe("backpressure", () => {
  test("a reader that falls 256 KiB behind holds the runtime back; taking it lets the runtime go on", async () => {
    const answer = new RawAnswer("answer of runtime vm");
    const src = source();
    answer.attach(src);
    const body = frame(Buffer.alloc(600 * 1024));
    for (let at = 0; at < 300 * 1024; at += 16 * 1024) answer.push(body.subarray(at, at + 16 * 1024));
    expect(src.log).toEqual(["pause"]);
    const reader = answer.framedChunks();
    for (let i = 0; i < 18; i++) await reader.next();
    expect(src.log).toEqual(["pause", "resume"]);
  });

  test("a reader of the whole message (a named runtime's part) never holds the runtime back", async () => {
    const answer = new RawAnswer("answer of runtime vm");
    const src = source();
    answer.attach(src);
    const body = frame(Buffer.alloc(600 * 1024));
    const whole = answer.message();
    for (let at = 0; at < body.length; at += 16 * 1024) answer.push(body.subarray(at, at + 16 * 1024));
    answer.end();
    expect((await whole).length).toBe(600 * 1024);
    expect(src.log).toEqual([]);
  });
});

describe("checked as it arrives", () => {
  test("a prefix announcing more than 16 MiB: ResourceExhausted before anything is passed on", () => {
    const answer = new RawAnswer("answer of runtime vm to /x");
    const head = Buffer.from([0, 0x01, 0x00, 0x00, 0x01]);
    expect(() => answer.push(head)).toThrow(expect.objectContaining({ code: Code.ResourceExhausted }));
  });

  test("OK trailers after a cut message: the answer ends with Internal, not a short list", async () => {
    const answer = new RawAnswer("answer of runtime vm to /x");
    answer.push(frame(Buffer.alloc(100)).subarray(0, 50));
    answer.end();
    const e = await answer.message().catch((e) => e);
    expect(ConnectError.from(e).code).toBe(Code.Internal);
    expect(ConnectError.from(e).rawMessage).toContain("mid-message");
  });

  test("more than one message in a unary answer is Internal", () => {
    const answer = new RawAnswer("answer of runtime vm to /x");
    expect(() => answer.push(Buffer.concat([frame(Buffer.from("a")), frame(Buffer.from("b"))]))).toThrow(
      expect.objectContaining({ code: Code.Internal }),
    );
  });

  test("a prefix split across chunks, its first part passed on before the rest arrives: the answer is intact", async () => {
    const answer = new RawAnswer("answer of runtime vm to /x");
    const body = frame(Buffer.from("abc"));
    answer.push(body.subarray(0, 2));
    const reader = answer.framedChunks();
    const got: Buffer[] = [Buffer.from((await reader.next()).value!)];
    const next = reader.next();
    answer.push(body.subarray(2));
    answer.end();
    for (let r = await next; !r.done; r = await reader.next()) got.push(Buffer.from(r.value));
    expect(Buffer.concat(got).toString("hex")).toBe(body.toString("hex"));
  });
});
