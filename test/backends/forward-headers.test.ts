// What a runtime receives of kubelet's request headers (README "Metadata and trace context").
import { expect, test } from "bun:test";
import { forwardHeaders } from "../../src/backends/forward-headers.ts";
import { keepAnswerMetadata, requestMetadata } from "../../src/grpc/metadata.ts";

const kubelet: [string, string][] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/runtime.v1.RuntimeService/Version"],
  [":authority", "localhost"],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
  ["grpc-timeout", "1999m"],
  ["grpc-accept-encoding", "identity,deflate,gzip"],
  ["user-agent", "kubelet/v1.31.0 grpc-go/1.65.0"],
  ["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
  ["tracestate", "k=v"],
  ["baggage", "a=b"],
  ["x-custom", "1"],
  ["x-custom", "2"],
  ["x-bin-bin", "AAEC"],
];

test("transport headers are each hop's own; everything else reaches the runtime in order, repeats included", () => {
  const headers: [string, string][] = [];
  forwardHeaders(headers, requestMetadata(kubelet), undefined, "criproxy/0.1.0");
  expect(headers).toEqual([
    ["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    ["tracestate", "k=v"],
    ["baggage", "a=b"],
    ["x-custom", "1"],
    ["x-custom", "2"],
    ["x-bin-bin", "AAEC"],
    ["user-agent", "kubelet/v1.31.0 grpc-go/1.65.0 criproxy/0.1.0"],
  ]);
});

test("criproxy's runtime-call span replaces kubelet's trace context; baggage stays", () => {
  const headers: [string, string][] = [];
  forwardHeaders(
    headers,
    requestMetadata(kubelet),
    [["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01"]],
    "criproxy/0.1.0",
  );
  expect(headers.filter(([n]) => n.startsWith("trace"))).toEqual([
    ["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01"],
  ]);
  expect(headers).toContainEqual(["baggage", "a=b"]);
});

test("a call with no metadata (the proxy's own probe) carries criproxy's user-agent alone", () => {
  const headers: [string, string][] = [];
  forwardHeaders(headers, undefined, undefined, "criproxy/0.1.0");
  expect(headers).toEqual([["user-agent", "criproxy/0.1.0"]]);
});

test("a runtime's answer metadata is kept without transport or status, which criproxy writes itself", () => {
  const kept: [string, string][] = [];
  keepAnswerMetadata(
    [
      [":status", "200"],
      ["content-type", "application/grpc"],
      ["grpc-status", "0"],
      ["grpc-message", ""],
      ["grpc-status-details-bin", "AA"],
      ["x-runtime", "vm"],
      ["date", "Sun"],
    ],
    kept,
  );
  expect(kept).toEqual([
    ["x-runtime", "vm"],
    ["date", "Sun"],
  ]);
});
