import { describe, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { TARGET_RUNTIME_ANNOTATION } from "../../src/core/route.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { runRow, type Row } from "./plan-expect.ts";

const run = runRow;
const c = create;

describe("primary, all, status, fan-in, events", () => {
  test.each<Row>([
    {
      desc: "Version goes to the primary",
      method: "Version",
      request: c(api.VersionRequestSchema, { version: "v1" }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "RuntimeConfig goes to the primary",
      method: "RuntimeConfig",
      request: c(api.RuntimeConfigRequestSchema),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "UpdateRuntimeConfig goes to every backend",
      method: "UpdateRuntimeConfig",
      request: c(api.UpdateRuntimeConfigRequestSchema),
      expect: { kind: "fan-out" },
    },
    { desc: "Status fans out", method: "Status", request: c(api.StatusRequestSchema), expect: { kind: "fan-out" } },
    {
      desc: "ImageFsInfo fans in",
      method: "ImageFsInfo",
      request: c(api.ImageFsInfoRequestSchema),
      expect: { kind: "fan-out" },
    },
    {
      desc: "ListMetricDescriptors fans in",
      method: "ListMetricDescriptors",
      request: c(api.ListMetricDescriptorsRequestSchema),
      expect: { kind: "fan-out" },
    },
    {
      desc: "GetContainerEvents fans in",
      method: "GetContainerEvents",
      request: c(api.GetEventsRequestSchema),
      expect: { kind: "fan-out" },
    },
  ])("$desc", run);
});

describe("RunPodSandbox: annotation, then RuntimeClass handler, else primary", () => {
  const sandbox = (annotations: Record<string, string>, runtimeHandler = "") =>
    c(api.RunPodSandboxRequestSchema, {
      config: { metadata: { name: "p", namespace: "ns" }, annotations },
      runtimeHandler,
    });
  test.each<Row>([
    {
      desc: "annotation names a backend: request unchanged",
      method: "RunPodSandbox",
      request: sandbox({ [TARGET_RUNTIME_ANNOTATION]: "vm" }),
      expect: { kind: "one", backend: "vm" },
    },
    {
      desc: "unknown runtime in the annotation",
      method: "RunPodSandbox",
      request: sandbox({ [TARGET_RUNTIME_ANNOTATION]: "nosuch" }),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ["unknown runtime", '"nosuch"', "ns/p", "vm, gpu.example"],
      },
    },
    {
      desc: "empty annotation is no annotation",
      method: "RunPodSandbox",
      request: sandbox({ [TARGET_RUNTIME_ANNOTATION]: "" }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "annotation and a handler of the same backend: handler mapped",
      method: "RunPodSandbox",
      request: sandbox({ [TARGET_RUNTIME_ANNOTATION]: "vm" }, "kata"),
      expect: { kind: "one", backend: "vm", request: sandbox({ [TARGET_RUNTIME_ANNOTATION]: "vm" }, "kata-fc") },
    },
    {
      desc: "annotation and a handler of another backend conflict",
      method: "RunPodSandbox",
      request: sandbox({ [TARGET_RUNTIME_ANNOTATION]: "vm" }, "nvidia"),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ['runtime "vm"', '"nvidia"', 'runtime "gpu.example"'],
      },
    },
    {
      desc: "claimed handler: backend sees its handler",
      method: "RunPodSandbox",
      request: sandbox({}, "kata"),
      expect: { kind: "one", backend: "vm", request: sandbox({}, "kata-fc") },
    },
    {
      desc: "claimed handler mapped to the backend's default",
      method: "RunPodSandbox",
      request: sandbox({}, "vmdefault"),
      expect: { kind: "one", backend: "vm", request: sandbox({}, "") },
    },
    {
      desc: "unclaimed handler: primary unchanged",
      method: "RunPodSandbox",
      request: sandbox({}, "runc"),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "nothing: primary unchanged",
      method: "RunPodSandbox",
      request: sandbox({}),
      expect: { kind: "one", backend: "" },
    },
  ])("$desc", run);
});

describe("by sandbox or container id", () => {
  test.each<Row>([
    {
      desc: "named sandbox id: unprefixed",
      method: "StopPodSandbox",
      request: c(api.StopPodSandboxRequestSchema, { podSandboxId: "vm__s1" }),
      expect: { kind: "one", backend: "vm", request: c(api.StopPodSandboxRequestSchema, { podSandboxId: "s1" }) },
    },
    {
      desc: "unprefixed sandbox id: primary, original bytes",
      method: "PodSandboxStatus",
      request: c(api.PodSandboxStatusRequestSchema, { podSandboxId: "s1", verbose: true }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "unknown prefix: primary, original bytes",
      method: "RemovePodSandbox",
      request: c(api.RemovePodSandboxRequestSchema, { podSandboxId: "nosuch__s1" }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "PortForward by sandbox",
      method: "PortForward",
      request: c(api.PortForwardRequestSchema, { podSandboxId: "gpu.example__s1", port: [80] }),
      expect: {
        kind: "one",
        backend: "gpu.example",
        request: c(api.PortForwardRequestSchema, { podSandboxId: "s1", port: [80] }),
      },
    },
    {
      desc: "named container id: unprefixed",
      method: "ExecSync",
      request: c(api.ExecSyncRequestSchema, { containerId: "vm__c1", cmd: ["ls", "vm__c1"] }),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.ExecSyncRequestSchema, { containerId: "c1", cmd: ["ls", "vm__c1"] }),
      },
    },
    {
      desc: "primary container id",
      method: "ContainerStatus",
      request: c(api.ContainerStatusRequestSchema, { containerId: "c1" }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "empty sandbox id",
      method: "StopPodSandbox",
      request: c(api.StopPodSandboxRequestSchema),
      expect: { kind: "error", code: Code.InvalidArgument, says: ["StopPodSandbox", "pod_sandbox_id is empty"] },
    },
    {
      desc: "empty container id",
      method: "StartContainer",
      request: c(api.StartContainerRequestSchema),
      expect: { kind: "error", code: Code.InvalidArgument, says: ["container_id is empty"] },
    },
    {
      desc: "prefix with nothing after it",
      method: "StartContainer",
      request: c(api.StartContainerRequestSchema, { containerId: "vm__" }),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['"vm__"', 'runtime "vm"'] },
    },
  ])("$desc", run);
});
