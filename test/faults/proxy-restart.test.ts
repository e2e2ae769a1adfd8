// The proxy keeps no state a restart loses: killed with SIGKILL (its socket file left behind)
// and started again, it routes every existing object exactly as before.
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { startProxy } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { waitFor } from "../ops/ops-helpers.ts";

type Pods = { items: { id: string }[] };
type Containers = { containers: { id: string }[] };
type Images = { images: { id: string; repoTags: string[] }[] };

/** Everything kubelet knows of the node, and the answer to a status call for each object. */
async function view(k: CriClient) {
  const pods = (await k.call<Pods>("ListPodSandbox")).items.map((p) => p.id).sort();
  const containers = (await k.call<Containers>("ListContainers")).containers.map((c) => c.id).sort();
  const images = (await k.call<Images>("ListImages")).images.flatMap((i) => i.repoTags).sort();
  const podStatus = await Promise.all(
    pods.map(
      async (id) =>
        (await k.call<{ status: { id: string; state: number } }>("PodSandboxStatus", { podSandboxId: id })).status,
    ),
  );
  const ctrStatus = await Promise.all(
    containers.map(
      async (id) =>
        (await k.call<{ status: { id: string; state: number } }>("ContainerStatus", { containerId: id })).status,
    ),
  );
  const imgStatus = await Promise.all(
    images.map(
      async (tag) => (await k.call<{ image: { id: string } }>("ImageStatus", { image: { image: tag } })).image?.id,
    ),
  );
  const strip = (s: { id: string; state: number }) => ({ id: s.id, state: s.state });
  return { pods, containers, images, podStatus: podStatus.map(strip), ctrStatus: ctrStatus.map(strip), imgStatus };
}

test("SIGKILL and restart: every pod, container and image routes as before", async () => {
  const primary = await startFakeRuntime({ socket: tempSocket("rs-primary"), pods: 2, images: 1 });
  const vm = await startFakeRuntime({ socket: tempSocket("rs-vm"), pods: 1, handlers: ["", "kata-qemu"] });
  const args = ["--connect", `${primary.socket},vm:${vm.socket}`, "--runtime-handler", "kata=vm:kata-qemu"];
  let proxy = await startProxy(args);
  const socket = proxy.socket;
  let kubelet = criClient(socket);
  try {
    await waitFor(async () => (await kubelet.call<Pods>("ListPodSandbox")).items.length === 3, 8000, "vm listed");
    // kubelet creates objects on both runtimes, by annotation, by handler, and an image of vm.
    const cfg = (name: string) => ({ metadata: { name, uid: `u-${name}`, namespace: "t" } });
    const annotated = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: { ...cfg("a"), annotations: { "kubernetes.io/target-runtime": "vm" } },
    });
    const claimed = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: cfg("b"),
      runtimeHandler: "kata",
    });
    const plain = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", { config: cfg("c") });
    await kubelet.call("PullImage", { image: { image: "vm/docker.io/library/busybox:1.36" } });
    await kubelet.call("PullImage", { image: { image: "docker.io/library/redis:7.2.4" } });
    for (const [sandbox, image] of [
      [annotated.podSandboxId, "vm/docker.io/library/busybox:1.36"],
      [plain.podSandboxId, "docker.io/library/redis:7.2.4"],
    ]) {
      const c = await kubelet.call<{ containerId: string }>("CreateContainer", {
        podSandboxId: sandbox,
        config: { metadata: { name: "x" }, image: { image } },
        sandboxConfig: cfg("x"),
      });
      await kubelet.call("StartContainer", { containerId: c.containerId });
    }
    expect(annotated.podSandboxId).toStartWith("vm__");
    expect(claimed.podSandboxId).toStartWith("vm__");
    expect(plain.podSandboxId).not.toContain("__");
    const before = await view(kubelet);
    expect(before.pods.length).toBe(6);

    kubelet.close();
    proxy.proc.kill("SIGKILL");
    await proxy.exited;
    expect(existsSync(socket)).toBe(true); // a crash leaves the socket file behind

    proxy = await startProxy(args, { socket });
    kubelet = criClient(socket);
    await waitFor(
      async () => (await kubelet.call<Pods>("ListPodSandbox")).items.length === 6,
      8000,
      "both runtimes listed again",
    );
    expect(await view(kubelet)).toEqual(before);
    // And state changes still reach the right runtime.
    await kubelet.call("StopPodSandbox", { podSandboxId: claimed.podSandboxId });
    expect(vm.calls.filter((c) => c.method === "StopPodSandbox").length).toBe(1);
    // Where each pod runs was listed again from the runtimes: the RuntimeClass pod's pull follows it,
    // until its sandbox is removed.
    const pullFor = async (image: string) => {
      const { imageRef } = await kubelet.call<{ imageRef: string }>("PullImage", {
        image: { image },
        sandboxConfig: cfg("b"),
      });
      return vm.state.images.has(imageRef) ? "vm" : primary.state.images.has(imageRef) ? "primary" : "nowhere";
    };
    expect(await pullFor("docker.io/library/alpine:3.19")).toBe("vm");
    await kubelet.call("RemovePodSandbox", { podSandboxId: claimed.podSandboxId });
    expect(await pullFor("docker.io/library/alpine:3.18")).toBe("primary");
  } finally {
    kubelet.close();
    await proxy.stop();
    await primary.stop();
    await vm.stop();
  }
}, 30_000);
