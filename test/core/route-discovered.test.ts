// Routing by what runtimes report and what pods say: handlers found in Status, images that follow
// their pod's target-runtime annotation, and bare images in a named runtime's sandbox.
import { describe, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { TARGET_RUNTIME_ANNOTATION } from "../../src/core/route.ts";
import { routingTable } from "../../src/core/routing-table.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { runRow, type Row } from "./plan-expect.ts";
import { DIGEST } from "./rows.ts";

const run = runRow;
const c = create;

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
const podConfig = (annotations: Record<string, string> = {}) => ({
  metadata: { name: "p", namespace: "ns" },
  annotations,
});

describe("RunPodSandbox: handlers found, not configured", () => {
  const sandbox = (runtimeHandler: string, annotations: Record<string, string> = {}) =>
    c(api.RunPodSandboxRequestSchema, { config: podConfig(annotations), runtimeHandler });
  test.each<Row>([
    {
      desc: "a runtime's name: that runtime, which sees its default handler",
      method: "RunPodSandbox",
      request: sandbox("vm"),
      table: found,
      expect: { kind: "one", backend: "vm", request: sandbox("") },
    },
    {
      desc: "a handler vm reports: vm, handler unchanged (original bytes)",
      method: "RunPodSandbox",
      request: sandbox("kata-qemu"),
      table: found,
      expect: { kind: "one", backend: "vm" },
    },
    {
      desc: "a handler the primary reports too: the primary",
      method: "RunPodSandbox",
      request: sandbox("runc"),
      table: found,
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "a handler nobody reports: the primary",
      method: "RunPodSandbox",
      request: sandbox("gvisor"),
      table: found,
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "annotation and the runtime's own name agree",
      method: "RunPodSandbox",
      request: sandbox("vm", target("vm")),
      table: found,
      expect: { kind: "one", backend: "vm", request: sandbox("", target("vm")) },
    },
    {
      desc: "annotation and a handler another runtime reports conflict",
      method: "RunPodSandbox",
      request: sandbox("nvidia-cdi", target("vm")),
      table: found,
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ['runtime "vm"', '"nvidia-cdi"', 'runtime "gpu.example"'],
      },
    },
  ])("$desc", run);
});

describe("image calls follow their pod: the ImageSpec's or the sandbox config's target-runtime annotation, or the handler", () => {
  const status = (image: string, annotations: Record<string, string> = {}, runtimeHandler = "") =>
    c(api.ImageStatusRequestSchema, { image: { image, annotations, runtimeHandler } });
  const pull = (
    image: string,
    annotations: Record<string, string>,
    sandbox: Record<string, string> | undefined,
    runtimeHandler = "",
  ) =>
    c(api.PullImageRequestSchema, {
      image: { image, userSpecifiedImage: image, annotations, runtimeHandler },
      sandboxConfig: sandbox && podConfig(sandbox),
    });
  test.each<Row>([
    {
      desc: "ImageStatus with the pod's annotation (kubelet >= 1.26): that runtime, original bytes",
      method: "ImageStatus",
      request: status("busybox:1.36", target("vm")),
      expect: { kind: "one", backend: "vm" },
    },
    {
      desc: "PullImage: the ImageSpec's annotation and the sandbox config's agree",
      method: "PullImage",
      request: pull("busybox:1.36", target("vm"), target("vm")),
      expect: { kind: "one", backend: "vm" },
    },
    {
      desc: "PullImage: the sandbox config's annotation alone",
      method: "PullImage",
      request: pull("busybox:1.36", {}, target("gpu.example")),
      expect: { kind: "one", backend: "gpu.example" },
    },
    {
      desc: "PullImage NAME/REF in a pod of that runtime: unprefixed",
      method: "PullImage",
      request: pull("vm/busybox", target("vm"), target("vm")),
      expect: { kind: "one", backend: "vm", request: pull("busybox", target("vm"), target("vm")) },
    },
    {
      desc: "the pod's other annotations name nothing: the primary",
      method: "ImageStatus",
      request: status("busybox", { "io.kubernetes.pod.uid": "u1" }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "a digest with the annotation: that runtime alone, not every runtime",
      method: "ImageStatus",
      request: status(DIGEST, target("vm")),
      expect: { kind: "one", backend: "vm" },
    },
    {
      desc: "the handler a runtime reports (RuntimeClassInImageCriAPI): that runtime, unchanged",
      method: "PullImage",
      request: pull("busybox", {}, {}, "kata-qemu"),
      table: found,
      expect: { kind: "one", backend: "vm" },
    },
    {
      desc: "a runtime's name as handler: that runtime, which sees its default",
      method: "ImageStatus",
      request: status("busybox", {}, "vm"),
      table: found,
      expect: { kind: "one", backend: "vm", request: status("busybox", {}, "") },
    },
    {
      desc: "an unknown runtime in the annotation",
      method: "ImageStatus",
      request: status("busybox", target("nosuch")),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ["ImageStatus", "unknown runtime", '"nosuch"', TARGET_RUNTIME_ANNOTATION, "vm, gpu.example"],
      },
    },
    {
      desc: "an image of another runtime in an annotated pod",
      method: "PullImage",
      request: pull("gpu.example/cuda", target("vm"), target("vm")),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: [TARGET_RUNTIME_ANNOTATION, '"vm"', '"gpu.example/cuda"', 'runtime "gpu.example"'],
      },
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
  const create2 = (
    podSandboxId: string,
    image: {
      image: string;
      userSpecifiedImage?: string;
      annotations?: Record<string, string>;
      runtimeHandler?: string;
    },
    sandbox?: Record<string, string>,
  ) =>
    c(api.CreateContainerRequestSchema, {
      podSandboxId,
      config: { metadata: { name: "app" }, image },
      sandboxConfig: sandbox && podConfig(sandbox),
    });
  test.each<Row>([
    {
      desc: "kubelet's: digest image_ref, bare user image, the pod's annotation in sandbox_config",
      method: "CreateContainer",
      request: create2("vm__s1", { image: DIGEST, userSpecifiedImage: "busybox" }, target("vm")),
      expect: {
        kind: "one",
        backend: "vm",
        request: create2("s1", { image: DIGEST, userSpecifiedImage: "busybox" }, target("vm")),
      },
    },
    {
      desc: "kubelet's with a named image_ref: NAME/ref unprefixed, the bare user image unchanged",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "vm/img-1", userSpecifiedImage: "busybox" }, target("vm")),
      expect: {
        kind: "one",
        backend: "vm",
        request: create2("s1", { image: "img-1", userSpecifiedImage: "busybox" }, target("vm")),
      },
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
      expect: {
        kind: "one",
        backend: "vm",
        request: create2("s1", { image: DIGEST, userSpecifiedImage: "busybox" }, { "io.kubernetes.pod.uid": "u1" }),
      },
    },
    {
      desc: "a RuntimeClass alone (critest's: a bare name, a sandbox config without annotations): the sandbox's runtime",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "registry.k8s.io/e2e-test-images/busybox:1.29-2" }, {}),
      table: found,
      expect: {
        kind: "one",
        backend: "vm",
        request: create2("s1", { image: "registry.k8s.io/e2e-test-images/busybox:1.29-2" }, {}),
      },
    },
    {
      desc: "the ImageSpec's handler names another runtime than the sandbox's",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "busybox", runtimeHandler: "nvidia-cdi" }),
      table: found,
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ['image "busybox"', 'runtime "gpu.example"', '"vm__s1"', 'runtime "vm"'],
      },
    },
    {
      desc: "the annotation names another runtime than the sandbox's",
      method: "CreateContainer",
      request: create2("vm__s1", { image: "busybox" }, target("gpu.example")),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: [TARGET_RUNTIME_ANNOTATION, '"gpu.example"', '"vm__s1"', 'runtime "vm"'],
      },
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
