// A pod runs where its sandbox runs: route() with what is known of pods (where each runs, which
// named runtimes run pods a RuntimeClass alone placed, where image names were just resolved).
import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { NO_PODS, podKey, type PodView, type Resolution } from "../../src/core/pod-placement.ts";
import { route, TARGET_RUNTIME_ANNOTATION } from "../../src/core/route.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { runRow, type Row } from "./plan-expect.ts";
import { DIGEST, row, table } from "./rows.ts";

const c = create;
const meta = (name: string) => ({ namespace: "ns", name, uid: `uid-${name}`, attempt: 0 });
const config = (name: string, annotations: Record<string, string> = {}) => ({ metadata: meta(name), annotations });

/** Pods: `rc` on vm by a RuntimeClass alone, `annotated` on gpu.example by annotation; `busybox` resolved on gpu.example. */
function pods(over: Partial<{ unhinted: string[]; resolved: Record<string, Resolution[]> }> = {}): PodView {
  const placed = new Map([
    [podKey(meta("rc")), "vm"],
    [podKey(meta("annotated")), "gpu.example"],
  ]);
  return {
    runtimeOf: (k) => placed.get(k),
    unhinted: () => over.unhinted ?? ["vm"],
    resolved: (image) => over.resolved?.[image] ?? [],
  };
}

describe("RunPodSandbox and RemovePodSandbox: where a pod runs is learned and forgotten", () => {
  const run = (annotations: Record<string, string>, runtimeHandler = "") =>
    c(api.RunPodSandboxRequestSchema, { config: config("p", annotations), runtimeHandler });
  test.each<Row>([
    {
      desc: "a RuntimeClass handler: placed on vm, unhinted",
      method: "RunPodSandbox",
      request: run({}, "vmdefault"),
      expect: {
        kind: "one",
        backend: "vm",
        request: run({}, ""),
        follow: { kind: "pod-placed", key: "ns/p/uid-p/0", unhinted: true },
      },
    },
    {
      desc: "the annotation: placed on vm, hinted",
      method: "RunPodSandbox",
      request: run({ [TARGET_RUNTIME_ANNOTATION]: "vm" }),
      expect: { kind: "one", backend: "vm", follow: { kind: "pod-placed", key: "ns/p/uid-p/0", unhinted: false } },
    },
    {
      desc: "the primary's pod: nothing to learn",
      method: "RunPodSandbox",
      request: run({}),
      expect: { kind: "one", backend: "", follow: undefined },
    },
    {
      desc: "RemovePodSandbox of a named runtime's sandbox: forgotten",
      method: "RemovePodSandbox",
      request: c(api.RemovePodSandboxRequestSchema, { podSandboxId: "vm__s1" }),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.RemovePodSandboxRequestSchema, { podSandboxId: "s1" }),
        follow: { kind: "pod-removed", id: "vm__s1" },
      },
    },
  ])("$desc", runRow);

  test("the primary's sandboxes are neither learned nor forgotten", () => {
    const plan = route(row("RemovePodSandbox"), c(api.RemovePodSandboxRequestSchema, { podSandboxId: "s1" }), table);
    expect(plan).toEqual({ kind: "one", backend: "" });
  });
});

describe("PullImage follows the pod its sandbox config names, however the pod chose its runtime", () => {
  const pull = (image: string, pod: string, annotations: Record<string, string> = {}, runtimeHandler = "") =>
    c(api.PullImageRequestSchema, { image: { image, annotations, runtimeHandler }, sandboxConfig: config(pod) });
  test.each<Row>([
    {
      desc: "critest's: a bare name, a pod a RuntimeClass placed on vm",
      method: "PullImage",
      request: pull("busybox:1.29-2", "rc"),
      pods: pods(),
      expect: { kind: "one", backend: "vm", follow: { kind: "image-pulled", image: "busybox:1.29-2" } },
    },
    {
      desc: "a pod placed by annotation on gpu.example",
      method: "PullImage",
      request: pull("busybox", "annotated"),
      pods: pods(),
      expect: { kind: "one", backend: "gpu.example" },
    },
    {
      desc: "a pod nobody placed: the primary",
      method: "PullImage",
      request: pull("busybox", "other"),
      pods: pods(),
      expect: { kind: "one", backend: "", follow: { kind: "image-pulled", image: "busybox" } },
    },
    {
      desc: "NAME/ of the pod's runtime: unprefixed",
      method: "PullImage",
      request: pull("vm/busybox", "rc"),
      pods: pods(),
      expect: { kind: "one", backend: "vm", request: pull("busybox", "rc") },
    },
    {
      desc: "a digest in the pod's runtime",
      method: "PullImage",
      request: pull(DIGEST, "rc"),
      pods: pods(),
      expect: { kind: "one", backend: "vm" },
    },
    {
      desc: "the handler of the pod's runtime (RuntimeClassInImageCriAPI)",
      method: "PullImage",
      request: pull("busybox", "rc", {}, "kata"),
      pods: pods(),
      expect: { kind: "one", backend: "vm", request: pull("busybox", "rc", {}, "kata-fc") },
    },
    {
      desc: "NAME/ of another runtime: refused, naming both",
      method: "PullImage",
      request: pull("gpu.example/cuda", "rc"),
      pods: pods(),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ['pod "ns/rc"', 'runtime "vm"', '"gpu.example/cuda"', 'runtime "gpu.example"'],
      },
    },
    {
      desc: "an annotation naming another runtime: refused, naming both",
      method: "PullImage",
      request: pull("busybox", "rc", { [TARGET_RUNTIME_ANNOTATION]: "gpu.example" }),
      pods: pods(),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ['runtime "vm"', 'runtime "gpu.example"', TARGET_RUNTIME_ANNOTATION],
      },
    },
    {
      desc: "a handler of another runtime: refused, naming both",
      method: "PullImage",
      request: pull("busybox", "rc", {}, "nvidia"),
      pods: pods(),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['runtime "vm"', 'runtime "gpu.example"'] },
    },
  ])("$desc", runRow);
});

describe("ImageStatus and ListImages of a bare name with no pod hint: a lookup when named runtimes are in play", () => {
  const status = (image: string, annotations: Record<string, string> = {}) =>
    c(api.ImageStatusRequestSchema, { image: { image, annotations } });
  const list = (image: string) => c(api.ListImagesRequestSchema, { filter: { image: { image } } });
  test.each<Row>([
    {
      desc: "a presence check, no pod placed by a RuntimeClass: the primary, its image user to come",
      method: "ImageStatus",
      request: status("busybox", { "kubernetes.io/config.source": "api" }),
      pods: NO_PODS,
      expect: { kind: "one", backend: "", follow: { kind: "image-checked", image: "busybox" } },
    },
    {
      desc: "an image-user lookup, nothing in play: the primary, settling",
      method: "ImageStatus",
      request: status("busybox"),
      pods: NO_PODS,
      expect: { kind: "one", backend: "", follow: { kind: "image-user", image: "busybox" } },
    },
    {
      desc: "a presence check, a pod a RuntimeClass placed on vm: the primary and vm",
      method: "ImageStatus",
      request: status("busybox", { "io.kubernetes.pod.uid": "u" }),
      pods: pods(),
      expect: { kind: "lookup", backends: ["", "vm"], image: "busybox", presence: true },
    },
    {
      desc: "a presence check, a name resolved on gpu.example only: the primary alone",
      method: "ImageStatus",
      request: status("busybox", { "io.kubernetes.pod.uid": "u" }),
      pods: pods({ unhinted: [], resolved: { "busybox:latest": [{ runtime: "gpu.example", id: DIGEST }] } }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "the name resolved for a pod on gpu.example a moment ago (the image-user lookup): the primary and gpu.example",
      method: "ImageStatus",
      request: status("busybox"),
      pods: pods({ unhinted: [], resolved: { "busybox:latest": [{ runtime: "gpu.example", id: DIGEST }] } }),
      expect: { kind: "lookup", backends: ["", "gpu.example"], image: "busybox", presence: false },
    },
    {
      desc: "resolved on the primary only: the primary alone",
      method: "ImageStatus",
      request: status("busybox"),
      pods: pods({ unhinted: [], resolved: { "busybox:latest": [{ runtime: "", id: DIGEST }] } }),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "the annotation names the runtime: no lookup",
      method: "ImageStatus",
      request: status("busybox", { [TARGET_RUNTIME_ANNOTATION]: "gpu.example" }),
      pods: pods(),
      expect: { kind: "one", backend: "gpu.example", follow: { kind: "image-found", image: "busybox" } },
    },
    {
      desc: "NAME/: no lookup",
      method: "ImageStatus",
      request: status("vm/busybox"),
      pods: pods(),
      expect: { kind: "one", backend: "vm", request: status("busybox") },
    },
    {
      desc: "a digest: every runtime, as before",
      method: "ImageStatus",
      request: status(DIGEST),
      pods: pods(),
      expect: { kind: "fan-out" },
    },
    {
      desc: "critest's presence check, ListImages by a bare name: a lookup",
      method: "ListImages",
      request: list("busybox:1.29-2"),
      pods: pods(),
      expect: { kind: "lookup", backends: ["", "vm"], image: "busybox:1.29-2", presence: true },
    },
    {
      desc: "ListImages by a bare name, nothing in play: the primary",
      method: "ListImages",
      request: list("busybox"),
      pods: NO_PODS,
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "ListImages unfiltered: every runtime",
      method: "ListImages",
      request: c(api.ListImagesRequestSchema),
      pods: pods(),
      expect: { kind: "fan-out" },
    },
    {
      desc: "RemoveImage of a bare name: the primary, as before",
      method: "RemoveImage",
      request: c(api.RemoveImageRequestSchema, { image: { image: "busybox" } }),
      pods: pods(),
      expect: { kind: "one", backend: "" },
    },
  ])("$desc", runRow);
});
