// A runtime's streamed answer split into messages however its bytes arrive, in linear time:
// a 16 MiB message costs one copy of itself, not a re-join of everything pending per chunk.
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { EnvelopeReader } from "../../src/grpc/envelope.ts";
import { frame } from "../support/grpc-frame.ts";

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, c));
    from = c;
  }
  return chunks;
}

describe("messages as they arrive", () => {
  test("any split of a stream gives the messages sent, in order, and nothing incomplete", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map((m) => frame(Buffer.from(m))));
          const reader = new EnvelopeReader("stream");
          const got: Buffer[] = [];
          for (const c of split(stream, cuts)) got.push(...reader.push(c));
          expect(got.map((b) => [...b])).toEqual(messages.map((m) => [...m]));
          expect(reader.incomplete).toBe(false);
        },
      ),
    );
  });

  test("a message cut off (in its prefix or its body) is incomplete", () => {
    const body = frame(Buffer.from("hello"));
    for (const n of [1, 4, 5, 7]) {
      const reader = new EnvelopeReader("stream");
      expect(reader.push(body.subarray(0, n))).toEqual([]);
      expect(reader.incomplete).toBe(true);
    }
  });

  test.each([
    { desc: "a compressed message", bytes: Buffer.from([1, 0, 0, 0, 1, 0]), code: Code.Unimplemented },
    { desc: "a prefix announcing more than 16 MiB", bytes: Buffer.from([0, 1, 0, 0, 1]), code: Code.ResourceExhausted },
  ])("$desc is refused as soon as its prefix is whole", ({ bytes, code }) => {
    const reader = new EnvelopeReader("stream of runtime vm");
    reader.push(bytes.subarray(0, 3));
    try {
      reader.push(bytes.subarray(3));
      throw new Error("not refused");
    } catch (e) {
      expect(ConnectError.from(e).code).toBe(code);
      expect(ConnectError.from(e).rawMessage).toContain("stream of runtime vm");
    }
  });
});

describe("linear time", () => {
  const spies: { mockRestore(): void }[] = [];
  afterEach(() => {
    for (const s of spies.splice(0)) s.mockRestore();
  });

  /** Bytes the reader allocates (copies) to read one message of `size` bytes sent in 16 KiB chunks. */
  function copiedFor(size: number): number {
    const body = frame(Buffer.alloc(size, 7));
    const reader = new EnvelopeReader("stream");
    let copied = 0;
    const unsafe = Buffer.allocUnsafe;
    const concat = Buffer.concat;
    spies.push(spyOn(Buffer, "allocUnsafe").mockImplementation((n: number) => ((copied += n), unsafe(n))));
    spies.push(
      spyOn(Buffer, "concat").mockImplementation((list: readonly Uint8Array[], total?: number) => {
        const out = concat(list, total);
        copied += out.length;
        return out;
      }),
    );
    const got: Buffer[] = [];
    for (let at = 0; at < body.length; at += 16 * 1024) got.push(...reader.push(body.subarray(at, at + 16 * 1024)));
    for (const s of spies.splice(0)) s.mockRestore();
    expect(got.length).toBe(1);
    expect(got[0].length).toBe(size);
    return copied;
  }

  test("a message is copied at most once, so 16 MiB costs twice 8 MiB (re-joining per chunk cost 4x)", () => {
    const eight = copiedFor(8 * 1024 * 1024);
    const sixteen = copiedFor(16 * 1024 * 1024);
    expect(sixteen).toBeLessThanOrEqual(16 * 1024 * 1024 + 64);
    expect(sixteen / eight).toBeLessThan(2.1);
  });
});
