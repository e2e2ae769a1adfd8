import { describe, expect, test } from "bun:test";
import { formatTraceParent, parseTraceParent } from "../../src/trace/trace-context.ts";

describe("W3C traceparent", () => {
  const id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const span = "00f067aa0ba902b7";
  test("kubelet's traceparent names its span and whether it was sampled", () => {
    expect(parseTraceParent(`00-${id}-${span}-01`)).toEqual({ traceId: id, spanId: span, sampled: true });
    expect(parseTraceParent(`00-${id}-${span}-00`)).toEqual({ traceId: id, spanId: span, sampled: false });
    expect(parseTraceParent(`00-${id}-${span}-03`)?.sampled).toBe(true);
  });
  test("a later version's extra fields are ignored; version 00 with extra fields, version ff, zero ids and bad hex are no parent", () => {
    expect(parseTraceParent(`01-${id}-${span}-01-what-comes-next`)).toEqual({
      traceId: id,
      spanId: span,
      sampled: true,
    });
    for (const bad of [
      `00-${id}-${span}-01-x`,
      `ff-${id}-${span}-01`,
      `00-${"0".repeat(32)}-${span}-01`,
      `00-${id}-${"0".repeat(16)}-01`,
      `00-${id.toUpperCase()}-${span}-01`,
      "",
      "garbage",
      undefined,
    ]) {
      expect(parseTraceParent(bad)).toBeUndefined();
    }
  });
  test("criproxy's traceparent round-trips", () => {
    expect(parseTraceParent(formatTraceParent(id, span, false))).toEqual({ traceId: id, spanId: span, sampled: false });
    expect(formatTraceParent(id, span, true)).toBe(`00-${id}-${span}-01`);
  });
});
