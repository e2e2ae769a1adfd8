// The routing contract end to end: two fake runtimes (a primary and `vm`) behind the real
// proxy process, driven by grpc-js as kubelet would.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { codeOf, waitFor } from "../support/wait.ts";

let primary: FakeRuntime;
let vm: FakeRuntime;
let proxy: ProxyProcess;
let kubelet: CriClient;

beforeAll(async () => {
  primary = await startFakeRuntime({
    socket: tempSocket("rt-primary"),
    runtimeName: "primary-fake",
    pods: 2,
    images: 1,
  });
  vm = await startFakeRuntime({
    socket: tempSocket("rt-vm"),
    runtimeName: "vm-fake",
    pods: 1,
    images: 1,
    handlers: ["", "kata-qemu"],
  });
  proxy = await startProxy([
    "--connect",
    `${primary.socket},vm:unix://${vm.socket}`,
    "--runtime-handler",
    "kata=vm:kata-qemu",
  ]);
  kubelet = criClient(proxy.socket);
  await waitFor(async () => (await kubelet.call<{ items: unknown[] }>("ListPodSandbox")).items.length === 3);
});

afterAll(async () => {
  kubelet?.close();
  await proxy?.stop();
  await primary?.stop();
  await vm?.stop();
});

const lastCall = (rt: FakeRuntime, method: string) =>
  [...rt.calls].reverse().find((c) => c.method === method)?.request as Record<string, any>;
const podConfig = (name: string, annotations: Record<string, string> = {}) => ({
  metadata: { name, namespace: "default", uid: `uid-${name}`, attempt: 0 },
  annotations,
});

describe("RunPodSandbox", () => {
  test("the target-runtime annotation sends the pod to vm; its id comes back prefixed", async () => {
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: podConfig("vm-pod", { "kubernetes.io/target-runtime": "vm" }),
    });
    expect(podSandboxId).toStartWith("vm__");
    expect(vm.state.sandboxes.has(podSandboxId.slice(4))).toBe(true);
    const status = await kubelet.call<{ status: { id: string } }>("PodSandboxStatus", { podSandboxId });
    expect(status.status.id).toBe(podSandboxId);
    expect(lastCall(vm, "PodSandboxStatus").podSandboxId).toBe(podSandboxId.slice(4));
  });

  test("a plain pod goes to the primary, unprefixed", async () => {
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: podConfig("plain-pod"),
    });
    expect(primary.state.sandboxes.has(podSandboxId)).toBe(true);
  });

  test("a claimed RuntimeClass handler goes to vm, which sees its own handler name", async () => {
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: podConfig("kata-pod"),
      runtimeHandler: "kata",
    });
    expect(podSandboxId).toStartWith("vm__");
    expect(lastCall(vm, "RunPodSandbox").runtimeHandler).toBe("kata-qemu");
  });

  test("an unknown runtime name is InvalidArgument naming it", async () => {
    const r = await codeOf(
      kubelet.call("RunPodSandbox", { config: podConfig("lost", { "kubernetes.io/target-runtime": "nosuch" }) }),
    );
    expect(r.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(r.details).toContain("unknown runtime");
    expect(r.details).toContain("nosuch");
  });
});

describe("containers and images of a named runtime", () => {
  test("pull, create, start, status, stop, remove: vm sees unprefixed ids and images, kubelet prefixed ones", async () => {
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: podConfig("vm-app", { "kubernetes.io/target-runtime": "vm" }),
    });
    const pulled = await kubelet.call<{ imageRef: string }>("PullImage", {
      image: { image: "vm/docker.io/library/busybox:1.36" },
    });
    expect(lastCall(vm, "PullImage").image.image).toBe("docker.io/library/busybox:1.36");
    expect(pulled.imageRef).toStartWith("sha256:"); // digests are never prefixed
    const { containerId } = await kubelet.call<{ containerId: string }>("CreateContainer", {
      podSandboxId,
      config: { metadata: { name: "app" }, image: { image: "vm/docker.io/library/busybox:1.36" } },
      sandboxConfig: podConfig("vm-app", { "kubernetes.io/target-runtime": "vm" }),
    });
    expect(containerId).toStartWith("vm__");
    expect(lastCall(vm, "CreateContainer").podSandboxId).toBe(podSandboxId.slice(4));
    expect(lastCall(vm, "CreateContainer").config.image.image).toBe("docker.io/library/busybox:1.36");
    await kubelet.call("StartContainer", { containerId });
    const status = await kubelet.call<{ status: { id: string; image: { image: string } } }>("ContainerStatus", {
      containerId,
    });
    expect(status.status.id).toBe(containerId);
    expect(status.status.image.image).toBe("vm/docker.io/library/busybox:1.36");
    await kubelet.call("StopContainer", { containerId, timeout: 0n });
    await kubelet.call("RemoveContainer", { containerId });
    expect(vm.state.containers.has(containerId.slice(4))).toBe(false);
    const images = await kubelet.call<{ images: { repoTags: string[] }[] }>("ListImages");
    expect(images.images.flatMap((i) => i.repoTags)).toContain("vm/docker.io/library/busybox:1.36");
  });

  test("CreateContainer with an image of another runtime is refused, naming the image and both runtimes", async () => {
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: podConfig("mixed"),
    });
    const r = await codeOf(
      kubelet.call("CreateContainer", {
        podSandboxId,
        config: { metadata: { name: "c" }, image: { image: "vm/busybox" } },
        sandboxConfig: podConfig("mixed"),
      }),
    );
    expect(r.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(r.details).toContain("vm/busybox");
    expect(r.details).toContain("vm");
    expect(r.details).toContain("primary");
  });
});

describe("merged lists and filters", () => {
  test("ListPodSandbox and ListContainers: the primary's first, then vm's, prefixed", async () => {
    const pods = await kubelet.call<{ items: { id: string }[] }>("ListPodSandbox");
    const ids = pods.items.map((p) => p.id);
    const firstVm = ids.findIndex((id) => id.startsWith("vm__"));
    expect(firstVm).toBeGreaterThan(0);
    expect(ids.slice(firstVm).every((id) => id.startsWith("vm__"))).toBe(true);
    expect(ids.length).toBe(primary.state.sandboxes.size + vm.state.sandboxes.size);
    const containers = await kubelet.call<{ containers: { id: string; podSandboxId: string }[] }>("ListContainers");
    expect(containers.containers.length).toBe(primary.state.containers.size + vm.state.containers.size);
    for (const c of containers.containers) expect(c.id.startsWith("vm__")).toBe(c.podSandboxId.startsWith("vm__"));
  });

  test("a filter naming a vm sandbox asks vm alone, unprefixed", async () => {
    const vmPod = [...vm.state.sandboxes.keys()][0];
    const before = primary.calls.length;
    const answer = await kubelet.call<{ containers: { podSandboxId: string }[] }>("ListContainers", {
      filter: { podSandboxId: `vm__${vmPod}` },
    });
    expect(answer.containers.every((c) => c.podSandboxId === `vm__${vmPod}`)).toBe(true);
    expect(lastCall(vm, "ListContainers").filter.podSandboxId).toBe(vmPod);
    expect(primary.calls.length).toBe(before);
  });

  test("id and sandbox filters naming different runtimes give an empty answer without calling anyone", async () => {
    const before = [primary.calls.length, vm.calls.length];
    const answer = await kubelet.call<{ containers: unknown[] }>("ListContainers", {
      filter: { id: "vm__abc", podSandboxId: "plainid" },
    });
    expect(answer.containers).toEqual([]);
    expect([primary.calls.length, vm.calls.length]).toEqual(before);
  });

  test("Status: the primary decides readiness; handlers are the union under kubelet's names", async () => {
    const s = await kubelet.call<{
      status: { conditions: { type: string; status: boolean }[] };
      runtimeHandlers: { name: string }[];
    }>("Status");
    expect(s.status.conditions.find((c) => c.type === "RuntimeReady")?.status).toBe(true);
    // vm's default as "vm" (its name); its kata-qemu as "kata" (configured) and as itself (reported).
    expect(s.runtimeHandlers.map((h) => h.name).sort()).toEqual(["", "kata", "kata-qemu", "vm"]);
  });

  test("UpdateRuntimeConfig reaches every runtime", async () => {
    await kubelet.call("UpdateRuntimeConfig", { runtimeConfig: { networkConfig: { podCidr: "10.1.0.0/24" } } });
    expect(primary.runtimeConfigs.at(-1)?.networkConfig?.podCidr).toBe("10.1.0.0/24");
    expect(vm.runtimeConfigs.at(-1)?.networkConfig?.podCidr).toBe("10.1.0.0/24");
  });
});

test("GetContainerEvents merges both runtimes' events, vm's prefixed", async () => {
  const events = kubelet.stream<{ containerId: string }>("GetContainerEvents");
  const seen: string[] = [];
  const reading = (async () => {
    for await (const e of events) {
      seen.push(e.containerId);
      if (seen.length === 2) return;
    }
  })();
  await waitFor(() => primary.eventSubscribers > 0 && vm.eventSubscribers > 0);
  primary.emit({ containerId: "p-1", containerEventType: 0, createdAt: 1n, containersStatuses: [] } as never);
  vm.emit({ containerId: "v-1", containerEventType: 0, createdAt: 2n, containersStatuses: [] } as never);
  await reading;
  events.cancel();
  expect(seen.sort()).toEqual(["p-1", "vm__v-1"]);
});

test("an image named by digest (kubelet's image GC) reaches the runtime that holds it", async () => {
  const { imageRef } = await kubelet.call<{ imageRef: string }>("PullImage", {
    image: { image: "vm/docker.io/library/only-on-vm:1" },
  });
  expect(primary.state.images.has(imageRef)).toBe(false);
  const status = await kubelet.call<{ image?: { id: string; repoTags: string[] } }>("ImageStatus", {
    image: { image: imageRef },
  });
  expect(status.image?.id).toBe(imageRef);
  expect(status.image?.repoTags).toEqual(["vm/docker.io/library/only-on-vm:1"]);
  await kubelet.call("RemoveImage", { image: { image: imageRef } });
  expect(vm.state.images.has(imageRef)).toBe(false);
});

test("ListMetricDescriptors is the union by name of every runtime's", async () => {
  const direct = criClient(primary.socket);
  try {
    const own = await direct.call<{ descriptors: { name: string }[] }>("ListMetricDescriptors");
    const merged = await kubelet.call<{ descriptors: { name: string }[] }>("ListMetricDescriptors");
    const names = merged.descriptors.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length); // no name twice, though both runtimes answer the same ones
    expect(names.sort()).toEqual(own.descriptors.map((d) => d.name).sort());
  } finally {
    direct.close();
  }
});
