// The wire rewrite against the decode path on every answer of both services, on malformed
// answers, and on classified map values.
import { describe, expect, test } from "bun:test";
import { clone, create, fromBinary, toBinary, type Message } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { fieldPlan } from "../../src/core/fields.ts";
import { toKubelet } from "../../src/core/rewrite.ts";
import { planCompiler, rewriteWire, toKubeletWire } from "../../src/core/wire-rewrite.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { arbitraryMessage } from "./arbitrary-message.ts";
import { table } from "./rows.ts";

const c = create;

describe("toKubeletWire equals toKubelet on every answer of RuntimeService and ImageService", () => {
  const schemas = [
    ...new Map(
      [...api.RuntimeService.methods, ...api.ImageService.methods].map((m) => [m.output.typeName, m.output]),
    ).values(),
  ];
  const answer = fc.oneof(
    ...schemas.map((schema) => arbitraryMessage<Message>(schema).map((msg) => ({ schema, msg }))),
  );
  const unknown = fc.array(fc.tuple(fc.integer({ min: 500, max: 5000 }), fc.uint8Array({ maxLength: 4 })), {
    maxLength: 2,
  });

  test(`${schemas.length} answer types: decoded wire rewrite = toKubelet, and canonical bytes are identical`, () => {
    fc.assert(
      fc.property(answer, unknown, ({ schema, msg }, extra) => {
        const want = toKubelet(schema, clone(schema, msg), "vm", table);
        const bytes = toBinary(schema, msg);
        expect(toKubeletWire(schema, bytes, "vm", table)).toEqual(toBinary(schema, want));
        // Unknown fields around the answer are copied, the rest still matches.
        const w = new BinaryWriter().raw(bytes);
        for (const [no, data] of extra) w.tag(no, 2).bytes(data);
        const withUnknown = w.finish();
        expect(fromBinary(schema, toKubeletWire(schema, withUnknown, "vm", table))).toEqual(
          toKubelet(schema, fromBinary(schema, withUnknown), "vm", table),
        );
      }),
      { numRuns: 3000 },
    );
  });

  test("concatenated encodings (merged messages, repeated singular fields) rewrite like their decoded merge", () => {
    const pair = fc
      .constantFrom(...schemas)
      .chain((schema) =>
        fc.tuple(fc.constant(schema), arbitraryMessage<Message>(schema), arbitraryMessage<Message>(schema)),
      );
    fc.assert(
      fc.property(pair, ([schema, a, b]) => {
        const bytes = new Uint8Array([...toBinary(schema, a), ...toBinary(schema, b)]);
        expect(fromBinary(schema, toKubeletWire(schema, bytes, "vm", table))).toEqual(
          toKubelet(schema, fromBinary(schema, bytes), "vm", table),
        );
      }),
      { numRuns: 1000 },
    );
  });
});

describe("malformed answers throw", () => {
  const schema = api.ListContainersResponseSchema;
  const good = toBinary(schema, c(schema, { containers: [{ id: "c1", podSandboxId: "s1", createdAt: 300n }] }));
  test.each([
    { desc: "truncated", bytes: good.subarray(0, good.length - 1), says: "past the end" },
    { desc: "truncated varint", bytes: new Uint8Array([0x10, 0x80]), says: "truncated varint" },
    {
      desc: "truncated varint in a scanned message",
      bytes: new Uint8Array([0x0a, 0x02, 0x78, 0x80]),
      says: "truncated varint",
    },
    { desc: "length past the end", bytes: new Uint8Array([0x0a, 0x05, 0x0a, 0x09, 0x63]), says: "past the end" },
    { desc: "field number 0", bytes: new Uint8Array([0x02, 0x00]), says: "field number 0" },
    { desc: "group", bytes: new Uint8Array([0x13, 0x14]), says: "group" },
    { desc: "group where an id belongs", bytes: new Uint8Array([0x0a, 0x02, 0x0b, 0x0c]), says: "group" },
    { desc: "invalid wire type", bytes: new Uint8Array([0x17]), says: "invalid wire type 7" },
    { desc: "an id as a varint", bytes: new Uint8Array([0x0a, 0x02, 0x08, 0x01]), says: "wire type 0" },
    { desc: "fixed64 truncated", bytes: new Uint8Array([0x11, 1, 2, 3]), says: "truncated" },
    { desc: "invalid UTF-8 in an id", bytes: new Uint8Array([0x0a, 0x03, 0x0a, 0x01, 0xff]), says: "invalid UTF-8" },
    {
      desc: "varint longer than 10 bytes",
      bytes: new Uint8Array([0x10, ...Array(11).fill(0x80), 0]),
      says: "longer than 10 bytes",
    },
  ])("$desc", ({ bytes, says }) => {
    expect(() => toKubeletWire(schema, bytes, "vm", table)).toThrow(says);
    expect(() => toKubeletWire(schema, bytes, "vm", table)).toThrow("malformed runtime.v1.");
  });
});

describe("classified map values (none in CRI today; a test plan classifies Container.labels)", () => {
  const labels = api.ContainerSchema.fields.find((f) => f.name === "labels")!;
  const plans = planCompiler((d) =>
    d === api.ContainerSchema ? [...fieldPlan(d), { field: labels, cls: "image" as const }] : fieldPlan(d),
  );
  const visit = (_cls: string, v: string): string => (v === "" ? "empty" : `p/${v}`);

  test("every value is visited, keys untouched, a missing value counts as the empty string", () => {
    const entry = (k: string, v?: string): Uint8Array => {
      const w = new BinaryWriter().tag(1, 2).string(k);
      return (v === undefined ? w : w.tag(2, 2).string(v)).finish();
    };
    const container = new BinaryWriter()
      .tag(1, 2)
      .string("c1")
      .tag(8, 2)
      .bytes(entry("a", "x"))
      .tag(8, 2)
      .bytes(entry("b"))
      .tag(8, 2)
      .bytes(entry("c", ""))
      .finish();
    const bytes = new BinaryWriter().tag(1, 2).bytes(container).finish();
    const got = fromBinary(
      api.ListContainersResponseSchema,
      rewriteWire(plans, api.ListContainersResponseSchema, bytes, visit),
    );
    expect(got).toEqual(
      c(api.ListContainersResponseSchema, {
        containers: [{ id: "p/c1", labels: { a: "p/x", b: "empty", c: "empty" } }],
      }),
    );
  });
});
