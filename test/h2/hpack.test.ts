// HPACK as RFC 7541 specifies it: its own examples (Appendix C), the dynamic table's eviction,
// Huffman strings, and the bounds a hostile peer meets.
import { describe, expect, test } from "bun:test";
import { encodeHeaders, HpackBomb, HpackDecoder, HpackError } from "../../src/h2/hpack.ts";
import { huffmanDecode } from "../../src/h2/huffman.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("RFC 7541 Appendix C", () => {
  test("C.3: three requests without Huffman, sharing the dynamic table", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("828684410f7777772e6578616d706c652e636f6d")).headers).toEqual([
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
    ]);
    expect(d.decode(hex("828684be58086e6f2d6361636865")).headers).toEqual([
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
      ["cache-control", "no-cache"],
    ]);
    expect(d.decode(hex("828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565")).headers).toEqual([
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/index.html"],
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ]);
  });

  test("C.4: the same with Huffman", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("828684418cf1e3c2e5f23a6ba0ab90f4ff")).headers.at(-1)).toEqual([
      ":authority",
      "www.example.com",
    ]);
    expect(d.decode(hex("828684be5886a8eb10649cbf")).headers.at(-1)).toEqual(["cache-control", "no-cache"]);
    expect(d.decode(hex("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf")).headers.at(-1)).toEqual([
      "custom-key",
      "custom-value",
    ]);
  });

  test("C.6: responses with Huffman in a 256-byte table, evicting the oldest entries", () => {
    const d = new HpackDecoder(256);
    d.decode(hex("3fe101")); // size update to 256, as the RFC's encoder had it
    const r1 = d.decode(
      hex(
        "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
      ),
    );
    expect(r1.headers).toEqual([
      [":status", "302"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["location", "https://www.example.com"],
    ]);
    const r2 = d.decode(hex("4883640effc1c0bf"));
    expect(r2.headers).toEqual([
      [":status", "307"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["location", "https://www.example.com"],
    ]);
    const r3 = d.decode(
      hex(
        "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
      ),
    );
    expect(r3.headers).toEqual([
      [":status", "200"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
      ["location", "https://www.example.com"],
      ["content-encoding", "gzip"],
      ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
    ]);
  });
});

describe("encodeHeaders", () => {
  test("round-trips through the decoder, with static indexes where the table has them", () => {
    const list: [string, string][] = [
      [":status", "200"],
      ["content-type", "application/grpc"],
      ["grpc-status", "0"],
      ["grpc-message", "x".repeat(500)],
    ];
    const block = encodeHeaders(list);
    expect(block[0]).toBe(0x88); // :status 200 is static index 8
    expect(new HpackDecoder().decode(block).headers).toEqual(list);
  });

  test("never adds to the peer's table: a decoder's table stays empty", () => {
    const d = new HpackDecoder(0); // a table of size 0 would throw on any insertion's index use
    const block = encodeHeaders([
      ["x-new", "v"],
      ["user-agent", "criproxy"],
    ]);
    expect(d.decode(block).headers).toEqual([
      ["x-new", "v"],
      ["user-agent", "criproxy"],
    ]);
    expect(d.decode(block).headers).toEqual([
      ["x-new", "v"],
      ["user-agent", "criproxy"],
    ]);
  });
});

describe("what a hostile peer meets", () => {
  test.each([
    { desc: "an index past the table", block: "ff00" },
    { desc: "index 0", block: "80" },
    { desc: "a truncated string", block: "400a6162" },
    { desc: "a table size update past what we advertised (4097 > 4096)", block: "3fe21f" },
    { desc: "an integer too large", block: "ffffffffffff7f" },
  ])("$desc is an HpackError (the connection ends with COMPRESSION_ERROR)", ({ block }) => {
    expect(() => new HpackDecoder().decode(hex(block))).toThrow(HpackError);
  });

  test("a header list past the bound is flagged, while the table stays in step", () => {
    const d = new HpackDecoder(4096, 100);
    const big = encodeHeaders([["x", "y".repeat(200)]]);
    expect(d.decode(big)).toEqual({ headers: [], tooLarge: true });
    // Indexed references to a big entry cannot expand past the bound either.
    const withEntry = Buffer.concat([
      Buffer.from([0x40, 1]),
      Buffer.from("b"),
      Buffer.from([60]),
      Buffer.from("z".repeat(60)),
    ]);
    const r = d.decode(Buffer.concat([withEntry, Buffer.alloc(10, 0xbe)]));
    expect(r.tooLarge).toBe(true);
    expect(r.headers.length).toBeLessThan(3);
  });

  test("a block expanding to 16 times the bound is an HPACK bomb: HpackBomb (the connection ends with ENHANCE_YOUR_CALM)", () => {
    const d = new HpackDecoder(4096, 100);
    const withEntry = Buffer.concat([
      Buffer.from([0x40, 1]),
      Buffer.from("b"),
      Buffer.from([60]),
      Buffer.from("z".repeat(60)),
    ]);
    expect(() => d.decode(Buffer.concat([withEntry, Buffer.alloc(1000, 0xbe)]))).toThrow(HpackBomb);
  });

  test("Huffman: EOS inside a string, padding of 8 bits or more, or padding of zeros are errors", () => {
    expect(huffmanDecode(hex("f1e3c2e5f23a6ba0ab90f4ff"))).toBe("www.example.com");
    expect(() => huffmanDecode(hex("ffffffff"))).toThrow(); // EOS
    expect(() => huffmanDecode(hex("f1e3c2e5f23a6ba0ab90f4ffff"))).toThrow(); // a whole byte of padding
    expect(() => huffmanDecode(hex("1c"))).toThrow(); // padding that is not all ones
  });
});
