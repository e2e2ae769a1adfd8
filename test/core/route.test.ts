import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { route, TARGET_RUNTIME_ANNOTATION } from "../../src/core/route.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { runRow, type Row } from "./plan-expect.ts";
import { DIGEST, row, table } from "./rows.ts";

const run = runRow;
const c = create;

describe("primary, all, status, fan-in, events", () => {
  test.each<Row>([
    { desc: "Version goes to the primary", method: "Version", request: c(api.VersionRequestSchema, { version: "v1" }), expect: { kind: "one", backend: "" } },
    { desc: "RuntimeConfig goes to the primary", method: "RuntimeConfig", request: c(api.RuntimeConfigRequestSchema), expect: { kind: "one", backend: "" } },
    { desc: "UpdateRuntimeConfig goes to every backend", method: "UpdateRuntimeConfig", request: c(api.UpdateRuntimeConfigRequestSchema), expect: { kind: "fan-out" } },
    { desc: "Status fans out", method: "Status", request: c(api.StatusRequestSchema), expect: { kind: "fan-out" } },
    { desc: "ImageFsInfo fans in", method: "ImageFsInfo", request: c(api.ImageFsInfoRequestSchema), expect: { kind: "fan-out" } },
    { desc: "ListMetricDescriptors fans in", method: "ListMetricDescriptors", request: c(api.ListMetricDescriptorsRequestSchema), expect: { kind: "fan-out" } },
    { desc: "GetContainerEvents fans in", method: "GetContainerEvents", request: c(api.GetEventsRequestSchema), expect: { kind: "fan-out" } },
  ])("$desc", run);
});

describe("RunPodSandbox: annotation, then RuntimeClass handler, else primary", () => {
  const sandbox = (annotations: Record<string, string>, runtimeHandler = "") =>
    c(api.RunPodSandboxRequestSchema, { config: { metadata: { name: "p", namespace: "ns" }, annotations }, runtimeHandler });
  test.each<Row>([
    { desc: "annotation names a backend: request unchanged", method: "RunPodSandbox", request: sandbox({ [TARGET_RUNTIME_ANNOTATION]: "vm" }), expect: { kind: "one", backend: "vm" } },
    {
      desc: "unknown runtime in the annotation",
      method: "RunPodSandbox",
      request: sandbox({ [TARGET_RUNTIME_ANNOTATION]: "nosuch" }),
      expect: { kind: "error", code: Code.InvalidArgument, says: ["unknown runtime", '"nosuch"', "ns/p", "vm, gpu.example"] },
    },
    { desc: "empty annotation is no annotation", method: "RunPodSandbox", request: sandbox({ [TARGET_RUNTIME_ANNOTATION]: "" }), expect: { kind: "one", backend: "" } },
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
      expect: { kind: "error", code: Code.InvalidArgument, says: ['runtime "vm"', '"nvidia"', 'runtime "gpu.example"'] },
    },
    { desc: "claimed handler: backend sees its handler", method: "RunPodSandbox", request: sandbox({}, "kata"), expect: { kind: "one", backend: "vm", request: sandbox({}, "kata-fc") } },
    { desc: "claimed handler mapped to the backend's default", method: "RunPodSandbox", request: sandbox({}, "vmdefault"), expect: { kind: "one", backend: "vm", request: sandbox({}, "") } },
    { desc: "unclaimed handler: primary unchanged", method: "RunPodSandbox", request: sandbox({}, "runc"), expect: { kind: "one", backend: "" } },
    { desc: "nothing: primary unchanged", method: "RunPodSandbox", request: sandbox({}), expect: { kind: "one", backend: "" } },
  ])("$desc", run);
});

describe("by sandbox or container id", () => {
  test.each<Row>([
    { desc: "named sandbox id: unprefixed", method: "StopPodSandbox", request: c(api.StopPodSandboxRequestSchema, { podSandboxId: "vm__s1" }), expect: { kind: "one", backend: "vm", request: c(api.StopPodSandboxRequestSchema, { podSandboxId: "s1" }) } },
    { desc: "unprefixed sandbox id: primary, original bytes", method: "PodSandboxStatus", request: c(api.PodSandboxStatusRequestSchema, { podSandboxId: "s1", verbose: true }), expect: { kind: "one", backend: "" } },
    { desc: "unknown prefix: primary, original bytes", method: "RemovePodSandbox", request: c(api.RemovePodSandboxRequestSchema, { podSandboxId: "nosuch__s1" }), expect: { kind: "one", backend: "" } },
    { desc: "PortForward by sandbox", method: "PortForward", request: c(api.PortForwardRequestSchema, { podSandboxId: "gpu.example__s1", port: [80] }), expect: { kind: "one", backend: "gpu.example", request: c(api.PortForwardRequestSchema, { podSandboxId: "s1", port: [80] }) } },
    { desc: "named container id: unprefixed", method: "ExecSync", request: c(api.ExecSyncRequestSchema, { containerId: "vm__c1", cmd: ["ls", "vm__c1"] }), expect: { kind: "one", backend: "vm", request: c(api.ExecSyncRequestSchema, { containerId: "c1", cmd: ["ls", "vm__c1"] }) } },
    { desc: "primary container id", method: "ContainerStatus", request: c(api.ContainerStatusRequestSchema, { containerId: "c1" }), expect: { kind: "one", backend: "" } },
    { desc: "empty sandbox id", method: "StopPodSandbox", request: c(api.StopPodSandboxRequestSchema), expect: { kind: "error", code: Code.InvalidArgument, says: ["StopPodSandbox", "pod_sandbox_id is empty"] } },
    { desc: "empty container id", method: "StartContainer", request: c(api.StartContainerRequestSchema), expect: { kind: "error", code: Code.InvalidArgument, says: ["container_id is empty"] } },
    { desc: "prefix with nothing after it", method: "StartContainer", request: c(api.StartContainerRequestSchema, { containerId: "vm__" }), expect: { kind: "error", code: Code.InvalidArgument, says: ['"vm__"', 'runtime "vm"'] } },
  ])("$desc", run);
});

describe("CreateContainer: by sandbox; the image must be of the same runtime", () => {
  const create1 = (podSandboxId: string, image: string, runtimeHandler = "", targetId = "") =>
    c(api.CreateContainerRequestSchema, { podSandboxId, config: { image: { image, runtimeHandler }, linux: { securityContext: { namespaceOptions: { targetId } } } } });
  test.each<Row>([
    { desc: "named sandbox, its image: both unprefixed", method: "CreateContainer", request: create1("vm__s1", "vm/cirros"), expect: { kind: "one", backend: "vm", request: create1("s1", "cirros") } },
    { desc: "primary sandbox, primary image: original bytes", method: "CreateContainer", request: create1("s1", "nginx"), expect: { kind: "one", backend: "" } },
    { desc: "digest belongs to the sandbox's runtime", method: "CreateContainer", request: create1("vm__s1", DIGEST), expect: { kind: "one", backend: "vm", request: create1("s1", DIGEST) } },
    { desc: "claimed image handler counts as the backend's image", method: "CreateContainer", request: create1("vm__s1", "nginx", "kata"), expect: { kind: "one", backend: "vm", request: create1("s1", "nginx", "kata-fc") } },
    {
      desc: "named image, primary sandbox",
      method: "CreateContainer",
      request: create1("s1", "vm/cirros"),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['image "vm/cirros"', 'runtime "vm"', '"s1"', "primary runtime"] },
    },
    {
      desc: "unprefixed image, named sandbox",
      method: "CreateContainer",
      request: create1("vm__s1", "nginx"),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['image "nginx"', "primary runtime", '"vm__s1"', 'runtime "vm"'] },
    },
    {
      desc: "image of another named runtime",
      method: "CreateContainer",
      request: create1("vm__s1", "gpu.example/cuda"),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['"gpu.example/cuda"', 'runtime "gpu.example"', 'runtime "vm"'] },
    },
    {
      desc: "target container of another runtime",
      method: "CreateContainer",
      request: create1("vm__s1", "vm/cirros", "", "c0"),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['container "c0"', "primary runtime"] },
    },
    { desc: "empty sandbox id", method: "CreateContainer", request: create1("", "nginx"), expect: { kind: "error", code: Code.InvalidArgument, says: ["pod_sandbox_id is empty"] } },
  ])("$desc", run);

  test("the caller's request is never mutated", () => {
    const request = create1("vm__s1", "vm/cirros");
    route(row("CreateContainer"), request, table);
    expect(request).toEqual(create1("vm__s1", "vm/cirros"));
  });
});

describe("image calls: NAME/REF, claimed handler, a digest everywhere, else primary", () => {
  const status = (image: string, runtimeHandler = "") => c(api.ImageStatusRequestSchema, { image: { image, runtimeHandler } });
  const pull = (image: string, runtimeHandler = "") => c(api.PullImageRequestSchema, { image: { image, userSpecifiedImage: image, runtimeHandler }, auth: { username: "u" } });
  test.each<Row>([
    { desc: "PullImage NAME/REF", method: "PullImage", request: pull("vm/docker.io/x:1"), expect: { kind: "one", backend: "vm", request: c(api.PullImageRequestSchema, { image: { image: "docker.io/x:1", userSpecifiedImage: "docker.io/x:1" }, auth: { username: "u" } }) } },
    { desc: "ImageStatus unprefixed: primary", method: "ImageStatus", request: status("docker.io/x:1"), expect: { kind: "one", backend: "" } },
    { desc: "RemoveImage digest (kubelet's image GC): every runtime", method: "RemoveImage", request: c(api.RemoveImageRequestSchema, { image: { image: DIGEST } }), expect: { kind: "fan-out" } },
    { desc: "ImageStatus digest: every runtime", method: "ImageStatus", request: status(DIGEST), expect: { kind: "fan-out" } },
    { desc: "claimed handler of the same name: that backend, original bytes", method: "ImageStatus", request: status("nginx", "nvidia"), expect: { kind: "one", backend: "gpu.example" } },
    { desc: "claimed handler renamed", method: "PullImage", request: pull("nginx", "kata"), expect: { kind: "one", backend: "vm", request: pull("nginx", "kata-fc") } },
    { desc: "digest with claimed handler", method: "RemoveImage", request: c(api.RemoveImageRequestSchema, { image: { image: DIGEST, runtimeHandler: "kata" } }), expect: { kind: "one", backend: "vm", request: c(api.RemoveImageRequestSchema, { image: { image: DIGEST, runtimeHandler: "kata-fc" } }) } },
    { desc: "unclaimed handler: by the name", method: "ImageStatus", request: status("vm/x", "runc"), expect: { kind: "one", backend: "vm", request: status("x", "runc") } },
    {
      desc: "name and handler of different runtimes",
      method: "PullImage",
      request: pull("vm/x", "nvidia"),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['image "vm/x"', 'runtime "vm"', '"nvidia"', 'runtime "gpu.example"'] },
    },
  ])("$desc", run);
});
