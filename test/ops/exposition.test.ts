// The /metrics text: what the registry writes parses under a strict reading of the format,
// and the strict parser really rejects what Prometheus would.
import { describe, expect, test } from "bun:test";
import { escapeHelp, escapeLabelValue, formatValue } from "../../src/metrics/exposition.ts";
import { Counter, Histogram, Observed, Registry } from "../../src/metrics/registry.ts";
import { parsePrometheusText, valueOf } from "./prom-text.ts";

describe("escaping and values", () => {
  test.each([
    { desc: "backslash, quote and line feed in a label value", input: 'a\\b"c\nd', expect: 'a\\\\b\\"c\\nd' },
    { desc: "a plain value is unchanged", input: "vm.example", expect: "vm.example" },
  ])("$desc", ({ input, expect: want }) => expect(escapeLabelValue(input)).toBe(want));

  test("HELP escapes backslash and line feed but not quotes", () =>
    expect(escapeHelp('x\\y\n"z"')).toBe('x\\\\y\\n"z"'));

  test.each([
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [NaN, "NaN"],
    [0.005, "0.005"],
    [42, "42"],
  ])("%p is written %p", (v, text) => expect(formatValue(v)).toBe(text));
});

describe("a registry's scrape", () => {
  const registry = new Registry();
  const calls = registry.register(
    new Counter("t_calls_total", "Calls.\nSecond line \\ backslash.", ["method", "backend"]),
  );
  const latency = registry.register(new Histogram("t_seconds", "Latency.", ["method"], [0.01, 0.1, 1]));
  registry.register(
    new Observed("t_ready", "Ready.", "gauge", () => [{ labels: [["backend", 'odd "name"\n']], value: 1 }]),
  );
  calls.inc(["Version", "primary"]);
  calls.inc(["Version", "primary"], 2);
  calls.inc(["ListPodSandbox", 'we"ird\\']);
  for (const v of [0.005, 0.05, 0.5, 5]) latency.observe(["Version"], v);
  const text = registry.render();

  test("parses strictly, with HELP and TYPE for every family", () => {
    const families = parsePrometheusText(text);
    expect([...families.keys()]).toEqual(["t_calls_total", "t_seconds", "t_ready"]);
    expect(families.get("t_calls_total")).toMatchObject({ type: "counter", help: "Calls.\nSecond line \\ backslash." });
    expect(valueOf(families, "t_calls_total", { method: "Version", backend: "primary" })).toBe(3);
    expect(valueOf(families, "t_calls_total", { backend: 'we"ird\\' })).toBe(1);
    expect(valueOf(families, "t_ready", { backend: 'odd "name"\n' })).toBe(1);
  });

  test("a histogram has cumulative _bucket lines ending in +Inf, then _sum and _count", () => {
    expect(text).toContain(
      [
        't_seconds_bucket{method="Version",le="0.01"} 1',
        't_seconds_bucket{method="Version",le="0.1"} 2',
        't_seconds_bucket{method="Version",le="1"} 3',
        't_seconds_bucket{method="Version",le="+Inf"} 4',
        't_seconds_sum{method="Version"} 5.555',
        't_seconds_count{method="Version"} 4',
      ].join("\n"),
    );
  });

  test("a name registered twice, a bad label name and a decreasing counter are bugs caught early", () => {
    expect(() => registry.register(new Counter("t_calls_total", "again"))).toThrow("registered twice");
    expect(() => new Counter("t_x", "x", ["__reserved"])).toThrow("invalid label name");
    expect(() => new Counter("9bad", "x")).toThrow("invalid metric name");
    expect(() => calls.inc(["a", "b"], -1)).toThrow("cannot decrease");
  });
});

describe("the strict parser rejects what Prometheus would", () => {
  const ok = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n";
  test("a well-formed scrape passes", () => expect(parsePrometheusText(ok).get("a_total")?.samples[0].value).toBe(1));
  test.each([
    { desc: "no final line feed", text: ok.slice(0, -1), error: "last line" },
    { desc: "a bad metric name", text: "1a 2\n", error: "not NAME" },
    { desc: "a value that is no float", text: "a 1,5\n", error: "not a float" },
    { desc: "an unquoted label value", text: "a{x=1} 1\n", error: "malformed labels" },
    { desc: "an unknown escape", text: 'a{x="\\t"} 1\n', error: "bad escape" },
    { desc: "a raw quote in a label value", text: 'a{x="a"b"} 1\n', error: "malformed labels" },
    { desc: "a label twice", text: 'a{x="1",x="2"} 1\n', error: "twice" },
    { desc: "an unknown type", text: "# TYPE a countr\na 1\n", error: "unknown type" },
    { desc: "TYPE after samples", text: "a 1\n# TYPE a gauge\n", error: "after its samples" },
    { desc: "two TYPE lines", text: "# TYPE a gauge\n# TYPE a gauge\na 1\n", error: "second TYPE" },
    {
      desc: "a family split in two",
      text: '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n',
      error: "not together",
    },
    { desc: "a duplicate series", text: "a 1\na 2\n", error: "duplicate series" },
    { desc: "a negative counter", text: "# TYPE a counter\na -1\n", error: "negative" },
    {
      desc: "a histogram without +Inf",
      text: '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
      error: "+Inf",
    },
    {
      desc: "a histogram whose +Inf is not its count",
      text: '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n',
      error: "!= _count",
    },
    {
      desc: "buckets that are not cumulative",
      text: '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
      error: "cumulative",
    },
  ])("$desc", ({ text, error }) => expect(() => parsePrometheusText(text)).toThrow(error));
});
