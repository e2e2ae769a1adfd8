// Tracing settings as Kubernetes' TracingConfiguration: off by default, on with either setting,
// from flags or a `tracing:` section, with errors naming the flag or the file's key.
import { expect, test } from "bun:test";
import { configChanges } from "../../src/config/config-changes.ts";
import { configFromFlags } from "../../src/config/config.ts";
import { flagsFromText } from "../../src/config/config-file.ts";
import { tracingUrl } from "../../src/config/tracing-config.ts";

test("tracing is off unless configured", () => {
  expect(configFromFlags({}).tracing).toBeUndefined();
});

test("flags: an endpoint turns it on at Kubernetes' default rate (0: only what kubelet sampled); a rate alone uses localhost:4318", () => {
  expect(configFromFlags({ "tracing-endpoint": "otel:4318" }).tracing).toEqual({
    url: "http://otel:4318/v1/traces",
    samplingRatePerMillion: 0,
  });
  expect(configFromFlags({ "tracing-sampling-rate-per-million": "1000000" }).tracing).toEqual({
    url: "http://localhost:4318/v1/traces",
    samplingRatePerMillion: 1_000_000,
  });
});

test("endpoints: HOST:PORT, or an http(s) URL whose path defaults to /v1/traces", () => {
  expect(tracingUrl("127.0.0.1:4318")).toBe("http://127.0.0.1:4318/v1/traces");
  expect(tracingUrl("https://collector.example:443")).toBe("https://collector.example/v1/traces");
  expect(tracingUrl("http://c:4318/custom/path")).toBe("http://c:4318/custom/path");
  expect(() => configFromFlags({ "tracing-endpoint": "grpc://c:4317" })).toThrow("--tracing-endpoint:");
});

test("a bad rate names the flag", () => {
  for (const bad of ["-1", "1000001", "0.5", "lots"])
    expect(() => configFromFlags({ "tracing-sampling-rate-per-million": bad })).toThrow(
      "--tracing-sampling-rate-per-million:",
    );
});

test("the config file's tracing: section is kubelet's, key for key", () => {
  const yaml = "tracing:\n  endpoint: otel:4318\n  samplingRatePerMillion: 10000\n";
  expect(configFromFlags(flagsFromText(yaml, "yaml", "c.yaml")).tracing).toEqual({
    url: "http://otel:4318/v1/traces",
    samplingRatePerMillion: 10_000,
  });
  expect(configFromFlags(flagsFromText("[tracing]\nsamplingRatePerMillion = 5\n", "toml", "c.toml")).tracing).toEqual({
    url: "http://localhost:4318/v1/traces",
    samplingRatePerMillion: 5,
  });
  expect(configFromFlags(flagsFromText("tracing: {}\n", "yaml", "c.yaml")).tracing).toEqual({
    url: "http://localhost:4318/v1/traces",
    samplingRatePerMillion: 0,
  });
  expect(() => flagsFromText("tracing:\n  samplingRate: 5\n", "yaml", "c.yaml")).toThrow(
    "c.yaml: tracing.samplingRate: unknown setting",
  );
});

test("a reload that changes tracing says it takes effect on restart", () => {
  const before = configFromFlags({});
  expect(configChanges(before, configFromFlags({ "tracing-endpoint": "otel:4318" }))).toEqual([
    "tracing changed: takes effect on restart",
  ]);
});
