import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { route, TARGET_RUNTIME_ANNOTATION } from "../../src/core/route.ts";
import { routingTable } from "../../src/core/routing-table.ts";
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
    { desc: "unprefixed image, named sandbox: follows the sandbox", method: "CreateContainer", request: create1("vm__s1", "nginx"), expect: { kind: "one", backend: "vm", request: create1("s1", "nginx") } },
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

// The shared table, plus what the runtimes reported in Status: vm reports kata-qemu, gpu.example
// reports nvidia-cdi and runc (which the primary reports too).
const found = routingTable(
  ["vm", "gpu.example"],
  { kata: { backend: "vm", handler: "kata-fc" }, nvidia: { backend: "gpu.example", handler: "nvidia" } },
  new Map([
    ["vm", ["", "kata-fc", "kata-qemu"]],
    ["gpu.example", ["nvidia-cdi", "runc"]],
  ]),
  ["", "runc"],
);
const target = (name: string) => ({ [TARGET_RUNTIME_ANNOTATION]: name, "io.kubernetes.pod.uid": "u1" });
const podConfig = (annotations: Record<string, string> = {}) => ({ metadata: { name: "p", namespace: "ns" }, annotations });

describe("RunPodSandbox: handlers found, not configured", () => {
  const sandbox = (runtimeHandler: string, annotations: Record<string, string> = {}) => c(api.RunPodSandboxRequestSchema, { config: podConfig(annotations), runtimeHandler });
  test.each<Row>([
    { desc: "a runtime's name: that runtime, which sees its default handler", method: "RunPodSandbox", request: sandbox("vm"), table: found, expect: { kind: "one", backend: "vm", request: sandbox("") } },
    { desc: "a handler vm reports: vm, handler unchanged (original bytes)", method: "RunPodSandbox", request: sandbox("kata-qemu"), table: found, expect: { kind: "one", backend: "vm" } },
    { desc: "a handler the primary reports too: the primary", method: "RunPodSandbox", request: sandbox("runc"), table: found, expect: { kind: "one", backend: "" } },
    { desc: "a handler nobody reports: the primary", method: "RunPodSandbox", request: sandbox("gvisor"), table: found, expect: { kind: "one", backend: "" } },
    { desc: "annotation and the runtime's own name agree", method: "RunPodSandbox", request: sandbox("vm", target("vm")), table: found, expect: { kind: "one", backend: "vm", request: sandbox("", target("vm")) } },
    {
      desc: "annotation and a handler another runtime reports conflict",
      method: "RunPodSandbox",
      request: sandbox("nvidia-cdi", target("vm")),
      table: found,
      expect: { kind: "error", code: Code.InvalidArgument, says: ['runtime "vm"', '"nvidia-cdi"', 'runtime "gpu.example"'] },
    },
  ])("$desc", run);
});

describe("image calls follow their pod: the ImageSpec's or the sandbox config's target-runtime annotation, or the handler", () => {
  const status = (image: string, annotations: Record<string, string> = {}, runtimeHandler = "") => c(api.ImageStatusRequestSchema, { image: { image, annotations, runtimeHandler } });
  const pull = (image: string, annotations: Record<string, string>, sandbox: Record<string, string> | undefined, runtimeHandler = "") =>
    c(api.PullImageRequestSchema, { image: { image, userSpecifiedImage: image, annotations, runtimeHandler }, sandboxConfig: sandbox && podConfig(sandbox) });
  test.each<Row>([
    { desc: "ImageStatus with the pod's annotation (kubelet >= 1.26): that runtime, original bytes", method: "ImageStatus", request: status("busybox:1.36", target("vm")), expect: { kind: "one", backend: "vm" } },
    { desc: "PullImage: the ImageSpec's annotation and the sandbox config's agree", method: "PullImage", request: pull("busybox:1.36", target("vm"), target("vm")), expect: { kind: "one", backend: "vm" } },
    { desc: "PullImage: the sandbox config's annotation alone", method: "PullImage", request: pull("busybox:1.36", {}, target("gpu.example")), expect: { kind: "one", backend: "gpu.example" } },
    { desc: "PullImage NAME/REF in a pod of that runtime: unprefixed", method: "PullImage", request: pull("vm/busybox", target("vm"), target("vm")), expect: { kind: "one", backend: "vm", request: pull("busybox", target("vm"), target("vm")) } },
    { desc: "the pod's other annotations name nothing: the primary", method: "ImageStatus", request: status("busybox", { "io.kubernetes.pod.uid": "u1" }), expect: { kind: "one", backend: "" } },
    { desc: "a digest with the annotation: that runtime alone, not every runtime", method: "ImageStatus", request: status(DIGEST, target("vm")), expect: { kind: "one", backend: "vm" } },
    { desc: "the handler a runtime reports (RuntimeClassInImageCriAPI): that runtime, unchanged", method: "PullImage", request: pull("busybox", {}, {}, "kata-qemu"), table: found, expect: { kind: "one", backend: "vm" } },
    { desc: "a runtime's name as handler: that runtime, which sees its default", method: "ImageStatus", request: status("busybox", {}, "vm"), table: found, expect: { kind: "one", backend: "vm", request: status("busybox", {}, "") } },
    {
      desc: "an unknown runtime in the annotation",
      method: "ImageStatus",
      request: status("busybox", target("nosuch")),
      expect: { kind: "error", code: Code.InvalidArgument, says: ["ImageStatus", "unknown runtime", '"nosuch"', TARGET_RUNTIME_ANNOTATION, "vm, gpu.example"] },
    },
    {
      desc: "an image of another runtime in an annotated pod",
      method: "PullImage",
      request: pull("gpu.example/cuda", target("vm"), target("vm")),
      expect: { kind: "error", code: Code.InvalidArgument, says: [TARGET_RUNTIME_ANNOTATION, '"vm"', '"gpu.example/cuda"', 'runtime "gpu.example"'] },
    },
    {
      desc: "the ImageSpec and the sandbox config name different runtimes",
      method: "PullImage",
      request: pull("busybox", target("vm"), target("gpu.example")),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['runtime "vm"', 'runtime "gpu.example"'] },
    },
  ])("$desc", run);
});

describe("CreateContainer: a bare image or an image id in a named runtime's sandbox follows the sandbox, unless the request names another runtime", () => {
  // kubelet's request: image = the image_ref PullImage or ImageStatus answered (a digest, or NAME/ref),
  // user_specified_image = what the pod spec says, sandbox_config = the pod's config; no handler.
  const create2 = (podSandboxId: string, image: { image: string; userSpecifiedImage?: string; annotations?: Record<string, string>; runtimeHandler?: string }, sandbox?: Record<string, string>) =>
    c(api.CreateContainerRequestSchema, { podSandboxId, config: { metadata: { name: "app" }, image }, sandboxConfig: sandbox && podConfig(sandbox) });
  test.each<Row>([
    {
      desc: "kubelet's: digest image_ref, bare user image, the pod's annotation in sandbox_config",
      method: "CreateContainer",
      request: create2("vm__s1", { image: DIGEST, userSpecifiedImage: "busybox" }, target("vm")),
      expect: { kind: "one", backend: "vm", request: create2("s1", { image: DIGEST, userSpecifiedImage: "busybox" }, target("vm")) },
    },
    {
      desc: "kubelet's with a named image_ref: NAME/ref unprefixed, the bare user image unchanged",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "vm/img-1", userSpecifiedImage: "busybox" }, target("vm")),
      expect: { kind: "one", backend: "vm", request: create2("s1", { image: "img-1", userSpecifiedImage: "busybox" }, target("vm")) },
    },
    {
      desc: "crictl's: a bare name and the pod's annotation",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "busybox:1.36" }, target("vm")),
      expect: { kind: "one", backend: "vm", request: create2("s1", { image: "busybox:1.36" }, target("vm")) },
    },
    {
      desc: "the ImageSpec's own annotation",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "busybox", annotations: target("vm") }),
      expect: { kind: "one", backend: "vm", request: create2("s1", { image: "busybox", annotations: target("vm") }) },
    },
    {
      desc: "the ImageSpec's handler, reported by the runtime",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "busybox", runtimeHandler: "kata-qemu" }),
      table: found,
      expect: { kind: "one", backend: "vm", request: create2("s1", { image: "busybox", runtimeHandler: "kata-qemu" }) },
    },
    {
      desc: "a RuntimeClass alone (kubelet's: an image id, the bare user image, no annotation): the sandbox's runtime",
      method: "CreateContainer",
      request: create2("vm__s1", { image: DIGEST, userSpecifiedImage: "busybox" }, { "io.kubernetes.pod.uid": "u1" }),
      table: found,
      expect: { kind: "one", backend: "vm", request: create2("s1", { image: DIGEST, userSpecifiedImage: "busybox" }, { "io.kubernetes.pod.uid": "u1" }) },
    },
    {
      desc: "a RuntimeClass alone (critest's: a bare name, a sandbox config without annotations): the sandbox's runtime",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "registry.k8s.io/e2e-test-images/busybox:1.29-2" }, {}),
      table: found,
      expect: { kind: "one", backend: "vm", request: create2("s1", { image: "registry.k8s.io/e2e-test-images/busybox:1.29-2" }, {}) },
    },
    {
      desc: "the ImageSpec's handler names another runtime than the sandbox's",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "busybox", runtimeHandler: "nvidia-cdi" }),
      table: found,
      expect: { kind: "error", code: Code.InvalidArgument, says: ['image "busybox"', 'runtime "gpu.example"', '"vm__s1"', 'runtime "vm"'] },
    },
    {
      desc: "the annotation names another runtime than the sandbox's",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "busybox" }, target("gpu.example")),
      expect: { kind: "error", code: Code.InvalidArgument, says: [TARGET_RUNTIME_ANNOTATION, '"gpu.example"', '"vm__s1"', 'runtime "vm"'] },
    },
    {
      desc: "the annotation names a runtime but the sandbox is the primary's",
      method: "CreateContainer",
      request: create2("s1", { image: "busybox" }, target("vm")),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['"vm"', '"s1"', "primary runtime"] },
    },
    {
      desc: "an unknown runtime in the sandbox config's annotation",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "busybox" }, target("nosuch")),
      expect: { kind: "error", code: Code.InvalidArgument, says: ["unknown runtime", '"nosuch"'] },
    },
    {
      desc: "nothing names a runtime in a primary pod: the primary keeps bare images, original bytes",
      method: "CreateContainer",
      request: create2("s1", { image: DIGEST, userSpecifiedImage: "busybox" }, { "io.kubernetes.pod.uid": "u1" }),
      expect: { kind: "one", backend: "" },
    },
  ])("$desc", run);
});
