// The AuthorityFilter: :authority set to "localhost" in a client's header blocks once its HPACK
// dynamic table is 0 bytes; every other byte passed on as it came.
import { describe, expect, test } from "bun:test";
import { AuthorityFilter, withLocalAuthority } from "../../src/server/authority-filter.ts";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const frame = (type: number, flags: number, stream: number, payload: Buffer) => {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
};
const str = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)]);
// :method POST, :scheme http, :path (literal, name index 4), then :authority (name index 1)
// as grpc-go 1.33 sends it: Huffman-coded (H bit), here 6 opaque bytes the filter never decodes.
const huffmanAuthority = Buffer.from([0x86, 0x62, 0xcb, 0x6a, 0x49, 0xa9, 0x2a]);
const block = (sizeUpdate: boolean, authorityPrefix = 0x01) =>
  Buffer.concat([Buffer.from(sizeUpdate ? [0x20] : []), Buffer.from([0x83, 0x86, 0x04]), str("/runtime.v1.RuntimeService/Version"), Buffer.from([authorityPrefix]), huffmanAuthority, Buffer.from([0x0f, 0x02]), str("trailers")]);
const localBlock = (sizeUpdate: boolean, authorityPrefix = 0x01) =>
  Buffer.concat([Buffer.from(sizeUpdate ? [0x20] : []), Buffer.from([0x83, 0x86, 0x04]), str("/runtime.v1.RuntimeService/Version"), Buffer.from([authorityPrefix]), str("localhost"), Buffer.from([0x0f, 0x02]), str("trailers")]);
const run = (chunks: Buffer[], dropAck = 0) => {
  const f = new AuthorityFilter(dropAck);
  return Buffer.concat(chunks.flatMap((c) => f.push(c)));
};

describe("header blocks", () => {
  test.each([
    { desc: "without indexing (0x01), after a size update to 0", input: block(true), expect: localBlock(true) },
    { desc: "with incremental indexing (0x41), after a size update to 0", input: block(true, 0x41), expect: localBlock(true, 0x41) },
    { desc: "never indexed (0x11), after a size update to 0", input: block(true, 0x11), expect: localBlock(true, 0x11) },
  ])("rewritten: $desc", ({ input, expect: want }) => {
    expect(withLocalAuthority(input, false)).toEqual({ zeroTable: true, block: want });
  });

  test("unchanged while the client's dynamic table may hold entries (no size update to 0 seen)", () => {
    const input = block(false);
    expect(withLocalAuthority(input, false).block).toBe(input);
    expect(withLocalAuthority(input, true).block).toEqual(localBlock(false)); // an earlier block shrank it
  });

  test("a size update to a non-zero size stops the rewriting", () => {
    const grown = Buffer.concat([Buffer.from([0x3f, 0xe1, 0x1f]), block(false)]); // size update 4096
    expect(withLocalAuthority(grown, true)).toEqual({ zeroTable: false, block: grown });
  });
});

describe("frames", () => {
  const data = frame(0x0, 0x1, 1, Buffer.from([0, 0, 0, 0, 0]));
  const headers = frame(0x1, 0x4, 1, block(true));
  const rewritten = frame(0x1, 0x4, 1, localBlock(true));

  test("preface, SETTINGS and DATA pass as they came; HEADERS get a new length", () => {
    const settings = frame(0x4, 0, 0, Buffer.alloc(0));
    expect(run([Buffer.concat([PREFACE, settings, headers, data])])).toEqual(Buffer.concat([PREFACE, settings, rewritten, data]));
  });

  test("the same bytes in one-byte chunks give the same result", () => {
    const all = Buffer.concat([PREFACE, headers, data]);
    expect(run([...all].map((b) => Buffer.from([b])))).toEqual(Buffer.concat([PREFACE, rewritten, data]));
  });

  test("padding and priority of a HEADERS frame are handled; END_STREAM is kept", () => {
    const priority = Buffer.from([0, 0, 0, 0, 15]);
    const padded = frame(0x1, 0x4 | 0x8 | 0x20 | 0x1, 3, Buffer.concat([Buffer.from([2]), priority, block(true), Buffer.alloc(2)]));
    expect(run([PREFACE, padded])).toEqual(Buffer.concat([PREFACE, frame(0x1, 0x4 | 0x20 | 0x1, 3, Buffer.concat([priority, localBlock(true)]))]));
  });

  test("a block split over HEADERS and CONTINUATION is gathered and rewritten", () => {
    const b = block(true);
    const split = [frame(0x1, 0, 5, b.subarray(0, 10)), frame(0x9, 0, 5, b.subarray(10, 20)), frame(0x9, 0x4, 5, b.subarray(20))];
    expect(run([PREFACE, ...split])).toEqual(Buffer.concat([PREFACE, frame(0x1, 0x4, 5, localBlock(true))]));
  });

  test("an unchanged block passes as the very same frames", () => {
    const untouched = frame(0x1, 0x4 | 0x8, 1, Buffer.concat([Buffer.from([1]), block(false), Buffer.alloc(1)]));
    expect(run([PREFACE, untouched])).toEqual(Buffer.concat([PREFACE, untouched]));
  });

  test("the client's ACK of the injected SETTINGS is dropped, the server's own ACKs pass", () => {
    const ack = frame(0x4, 0x1, 0, Buffer.alloc(0));
    expect(run([PREFACE, ack, ack, ack], 2)).toEqual(Buffer.concat([PREFACE, ack, ack]));
  });

  test("HPACK it cannot read passes unchanged", () => {
    const broken = frame(0x1, 0x4, 1, Buffer.from([0x20, 0x01, 0x7f])); // a string length past the end
    expect(run([PREFACE, broken])).toEqual(Buffer.concat([PREFACE, broken]));
  });
});
