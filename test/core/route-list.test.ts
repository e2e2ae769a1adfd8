import { describe, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { runRow, type Row } from "./plan-expect.ts";
import { DIGEST } from "./rows.ts";

const run = runRow;
const c = create;

describe("list calls: no filter fans out, a filter naming one runtime goes there", () => {
  test.each<Row>([
    {
      desc: "ListPodSandbox without filter",
      method: "ListPodSandbox",
      request: c(api.ListPodSandboxRequestSchema),
      expect: { kind: "fan-out" },
    },
    {
      desc: "ListPodSandbox with a label filter only",
      method: "ListPodSandbox",
      request: c(api.ListPodSandboxRequestSchema, { filter: { labelSelector: { app: "x" }, state: { state: 0 } } }),
      expect: { kind: "fan-out" },
    },
    {
      desc: "ListPodSandbox by a named id",
      method: "ListPodSandbox",
      request: c(api.ListPodSandboxRequestSchema, { filter: { id: "vm__s1" } }),
      expect: { kind: "one", backend: "vm", request: c(api.ListPodSandboxRequestSchema, { filter: { id: "s1" } }) },
    },
    {
      desc: "ListPodSandbox by a primary id",
      method: "ListPodSandbox",
      request: c(api.ListPodSandboxRequestSchema, { filter: { id: "s1" } }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "ListContainers by sandbox",
      method: "ListContainers",
      request: c(api.ListContainersRequestSchema, { filter: { podSandboxId: "vm__s1", labelSelector: { a: "b" } } }),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.ListContainersRequestSchema, { filter: { podSandboxId: "s1", labelSelector: { a: "b" } } }),
      },
    },
    {
      desc: "ListContainers by id and sandbox of one runtime",
      method: "ListContainers",
      request: c(api.ListContainersRequestSchema, { filter: { id: "vm__c1", podSandboxId: "vm__s1" } }),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.ListContainersRequestSchema, { filter: { id: "c1", podSandboxId: "s1" } }),
      },
    },
    {
      desc: "ListContainers by id and sandbox of different runtimes",
      method: "ListContainers",
      request: c(api.ListContainersRequestSchema, { filter: { id: "vm__c1", podSandboxId: "s1" } }),
      expect: { kind: "empty" },
    },
    {
      desc: "ListContainerStats by id",
      method: "ListContainerStats",
      request: c(api.ListContainerStatsRequestSchema, { filter: { id: "gpu.example__c1" } }),
      expect: {
        kind: "one",
        backend: "gpu.example",
        request: c(api.ListContainerStatsRequestSchema, { filter: { id: "c1" } }),
      },
    },
    {
      desc: "ListContainerStats without filter",
      method: "ListContainerStats",
      request: c(api.ListContainerStatsRequestSchema),
      expect: { kind: "fan-out" },
    },
    {
      desc: "ListPodSandboxStats by id",
      method: "ListPodSandboxStats",
      request: c(api.ListPodSandboxStatsRequestSchema, { filter: { id: "vm__s1" } }),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.ListPodSandboxStatsRequestSchema, { filter: { id: "s1" } }),
      },
    },
    {
      desc: "ListPodSandboxMetrics has no filter",
      method: "ListPodSandboxMetrics",
      request: c(api.ListPodSandboxMetricsRequestSchema),
      expect: { kind: "fan-out" },
    },
    {
      desc: "ListImages without filter",
      method: "ListImages",
      request: c(api.ListImagesRequestSchema),
      expect: { kind: "fan-out" },
    },
    {
      desc: "ListImages by a named image",
      method: "ListImages",
      request: c(api.ListImagesRequestSchema, { filter: { image: { image: "vm/cirros" } } }),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.ListImagesRequestSchema, { filter: { image: { image: "cirros" } } }),
      },
    },
    {
      desc: "ListImages by an unprefixed image",
      method: "ListImages",
      request: c(api.ListImagesRequestSchema, { filter: { image: { image: "nginx" } } }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "ListImages by a digest: every runtime may have it",
      method: "ListImages",
      request: c(api.ListImagesRequestSchema, { filter: { image: { image: DIGEST } } }),
      expect: { kind: "fan-out" },
    },
    {
      desc: "ListImages by a claimed handler",
      method: "ListImages",
      request: c(api.ListImagesRequestSchema, { filter: { image: { runtimeHandler: "kata" } } }),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.ListImagesRequestSchema, { filter: { image: { runtimeHandler: "kata-fc" } } }),
      },
    },
  ])("$desc", run);
});

describe("list-stream calls: the same on the Stream* request's filter", () => {
  test.each<Row>([
    {
      desc: "StreamPodSandboxes without filter",
      method: "StreamPodSandboxes",
      request: c(api.StreamPodSandboxesRequestSchema),
      expect: { kind: "fan-out" },
    },
    {
      desc: "StreamContainers by sandbox",
      method: "StreamContainers",
      request: c(api.StreamContainersRequestSchema, { filter: { podSandboxId: "vm__s1" } }),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.StreamContainersRequestSchema, { filter: { podSandboxId: "s1" } }),
      },
    },
    {
      desc: "StreamContainerStats mixed runtimes",
      method: "StreamContainerStats",
      request: c(api.StreamContainerStatsRequestSchema, { filter: { id: "c1", podSandboxId: "vm__s1" } }),
      expect: { kind: "empty" },
    },
    {
      desc: "StreamPodSandboxStats by primary id",
      method: "StreamPodSandboxStats",
      request: c(api.StreamPodSandboxStatsRequestSchema, { filter: { id: "s1" } }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "StreamImages by named image",
      method: "StreamImages",
      request: c(api.StreamImagesRequestSchema, { filter: { image: { image: "gpu.example/cuda" } } }),
      expect: {
        kind: "one",
        backend: "gpu.example",
        request: c(api.StreamImagesRequestSchema, { filter: { image: { image: "cuda" } } }),
      },
    },
    {
      desc: "StreamPodSandboxMetrics",
      method: "StreamPodSandboxMetrics",
      request: c(api.StreamPodSandboxMetricsRequestSchema),
      expect: { kind: "fan-out" },
    },
  ])("$desc", run);
});
