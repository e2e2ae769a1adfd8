// RuntimeClass handlers found, not configured, end to end: three fake runtimes behind the real
// proxy process (started with repeated --connect and --runtime-handler flags), driven by grpc-js
// as kubelet would. vm reports kata-qemu, gvisor and runc; gpu reports gvisor and nvidia.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { imageFor } from "../../src/fake/fixtures.ts";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { ContainerState } from "../../src/gen/runtime/v1/api_pb.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { waitFor } from "../support/wait.ts";

let primary: FakeRuntime;
let vm: FakeRuntime;
let gpu: FakeRuntime;
let proxy: ProxyProcess;
let kubelet: CriClient;
const gpuSocket = tempSocket("rc-gpu");

const handlerNames = async () =>
  (await kubelet.call<{ runtimeHandlers: { name: string }[] }>("Status")).runtimeHandlers.map((h) => h.name).sort();

beforeAll(async () => {
  primary = await startFakeRuntime({ socket: tempSocket("rc-primary"), handlers: ["", "runc"] });
  vm = await startFakeRuntime({ socket: tempSocket("rc-vm"), handlers: ["", "kata-qemu", "gvisor", "runc"] });
  gpu = await startFakeRuntime({ socket: gpuSocket, handlers: ["", "gvisor", "nvidia"] });
  proxy = await startProxy([
    ...["--connect", primary.socket, "--connect", `vm:unix://${vm.socket}`, "--connect", `gpu:${gpu.socket}`],
    ...["--runtime-handler", "kata=vm:kata-qemu", "--runtime-handler", "vmdefault=vm"],
  ]);
  kubelet = criClient(proxy.socket);
  // Every runtime is asked its handlers once it is ready.
  await waitFor(async () => (await handlerNames()).includes("nvidia"), 10_000, "gpu's handlers learned");
});

afterAll(async () => {
  kubelet?.close();
  await proxy?.stop();
  for (const rt of [primary, vm, gpu]) await rt?.stop();
});

const lastCall = (rt: FakeRuntime, method: string) =>
  [...rt.calls].reverse().find((c) => c.method === method)?.request as Record<string, any>;
const podConfig = (name: string, annotations: Record<string, string> = {}) => ({
  metadata: { name, namespace: "default", uid: `uid-${name}`, attempt: 0 },
  annotations,
});
let pods = 0;

describe("RunPodSandbox by RuntimeClass handler", () => {
  test.each([
    { handler: "kata", runtime: "vm", sees: "kata-qemu", why: "the first --runtime-handler" },
    { handler: "vmdefault", runtime: "vm", sees: "", why: "the second --runtime-handler" },
    { handler: "gpu", runtime: "gpu", sees: "", why: "a runtime's name: its default handler" },
    { handler: "nvidia", runtime: "gpu", sees: "nvidia", why: "reported by gpu alone" },
    { handler: "gvisor", runtime: "vm", sees: "gvisor", why: "reported by vm and gpu: vm comes first in --connect" },
    { handler: "runc", runtime: "", sees: "runc", why: "reported by the primary and vm: the primary's" },
  ])("$handler goes to $runtime, which sees '$sees' ($why)", async ({ handler, runtime, sees }) => {
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: podConfig(`rc-${pods++}`),
      runtimeHandler: handler,
    });
    const rt = { "": primary, vm, gpu }[runtime]!;
    expect(podSandboxId.startsWith(runtime === "" ? "" : `${runtime}__`)).toBe(true);
    expect(rt.state.sandboxes.has(runtime === "" ? podSandboxId : podSandboxId.slice(runtime.length + 2))).toBe(true);
    expect(lastCall(rt, "RunPodSandbox").runtimeHandler).toBe(sees);
  });

  test("Status lists every handler kubelet can route, under the names that route back", async () => {
    expect(await handlerNames()).toEqual([
      "",
      "gpu",
      "gvisor",
      "kata",
      "kata-qemu",
      "nvidia",
      "runc",
      "vm",
      "vmdefault",
    ]);
  });

  test("each conflict is logged once, however often kubelet asks Status", async () => {
    for (let i = 0; i < 5; i++) await kubelet.call("Status");
    const count = (s: string) => proxy.log().split(s).length - 1;
    expect(count('runtime handler "gvisor" reported by runtime "gpu" goes to runtime "vm"')).toBe(1);
    expect(count('runtime handler "runc" reported by runtime "vm" goes to the primary runtime')).toBe(1);
  });
});

describe("images follow their pod", () => {
  const target = { "kubernetes.io/target-runtime": "vm", "example.com/team": "a" };

  // kubelet's own sequence (image_manager.go EnsureImageExists, kuberuntime_container.go startContainer).
  test.each([
    { gate: "on", handler: "kata", vmSees: "kata-qemu", image: "docker.io/library/busybox:1.36" },
    { gate: "off", handler: "", vmSees: "", image: "docker.io/library/busybox:1.37" },
  ])(
    "a pod for vm (annotation + RuntimeClass kata), bare image names, RuntimeClassInImageCriAPI $gate: its whole life on vm",
    async ({ handler, vmSees, image }) => {
      const config = podConfig(`life-${handler || "nogate"}`, target);
      const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
        config,
        runtimeHandler: "kata",
      });
      expect(podSandboxId).toStartWith("vm__");
      const spec = { image, annotations: config.annotations, runtimeHandler: handler };
      const before = await kubelet.call<{ image?: object }>("ImageStatus", { image: spec });
      expect(before.image).toBeUndefined();
      expect(lastCall(vm, "ImageStatus").image).toMatchObject({ image, runtimeHandler: vmSees });

      const { imageRef } = await kubelet.call<{ imageRef: string }>("PullImage", {
        image: spec,
        sandboxConfig: config,
      });
      expect(lastCall(vm, "PullImage").sandboxConfig.metadata.name).toBe(config.metadata.name);
      expect(vm.state.images.has(imageRef)).toBe(true);
      expect(primary.state.images.has(imageRef)).toBe(false);
      const after = await kubelet.call<{ image: { id: string; repoTags: string[] } }>("ImageStatus", { image: spec });
      expect(after.image.id).toBe(imageRef);
      expect(after.image.repoTags).toEqual([`vm/${image}`]);

      // kubelet's getImageUser asks by the bare name without annotations: the pod's runtime answers
      // (its pull a moment ago resolved the name there), so the image user is vm's.
      const user = await kubelet.call<{ image?: { id: string; repoTags: string[] } }>("ImageStatus", {
        image: { image },
      });
      expect(user.image?.id).toBe(imageRef);
      expect(user.image?.repoTags).toEqual([`vm/${image}`]);

      const { containerId } = await kubelet.call<{ containerId: string }>("CreateContainer", {
        podSandboxId,
        config: { metadata: { name: "app" }, image: { image: imageRef, userSpecifiedImage: image } },
        sandboxConfig: config,
      });
      expect(containerId).toStartWith("vm__");
      expect(lastCall(vm, "CreateContainer")).toMatchObject({
        podSandboxId: podSandboxId.slice(4),
        config: { image: { image: imageRef, userSpecifiedImage: image } },
      });
      await kubelet.call("StartContainer", { containerId });
      const status = await kubelet.call<{
        status: { id: string; state: number; image: { userSpecifiedImage: string } };
      }>("ContainerStatus", { containerId });
      expect(status.status).toMatchObject({
        id: containerId,
        state: ContainerState.CONTAINER_RUNNING,
        image: { userSpecifiedImage: `vm/${image}` },
      });

      const tags = (await kubelet.call<{ images: { repoTags: string[] }[] }>("ListImages")).images.flatMap(
        (i) => i.repoTags,
      );
      expect(tags).toContain(`vm/${image}`);
      expect(tags).not.toContain(image);

      await kubelet.call("StopContainer", { containerId, timeout: 0n });
      await kubelet.call("RemoveContainer", { containerId });
      await kubelet.call("StopPodSandbox", { podSandboxId });
      await kubelet.call("RemovePodSandbox", { podSandboxId });
      expect(vm.state.containers.has(containerId.slice(4))).toBe(false);
      expect(vm.state.sandboxes.has(podSandboxId.slice(4))).toBe(false);
    },
  );

  // kubelet's calls for one container of a pod with no target-runtime annotation: the presence
  // check and the image-user lookup name no pod; the pull's sandbox config and CreateContainer's
  // sandbox id do.
  test.each([
    { gate: "on", handler: "kata", image: "docker.io/library/alpine:3.20" },
    { gate: "off", handler: "", image: "docker.io/library/alpine:3.21" },
  ])(
    "a pod for vm by RuntimeClass alone, gate $gate: its image checked, pulled and run on vm, its user vm's",
    async ({ handler, image }) => {
      const config = podConfig(`alone-${handler || "nogate"}`, { "example.com/team": "b" });
      const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
        config,
        runtimeHandler: "kata",
      });
      expect(podSandboxId).toStartWith("vm__");
      const spec = { image, annotations: config.annotations, runtimeHandler: handler };
      expect((await kubelet.call<{ image?: object }>("ImageStatus", { image: spec })).image).toBeUndefined();
      const { imageRef } = await kubelet.call<{ imageRef: string }>("PullImage", {
        image: spec,
        sandboxConfig: config,
      });
      expect(vm.state.images.has(imageRef)).toBe(true);
      expect(primary.state.images.has(imageRef)).toBe(false);
      const user = await kubelet.call<{ image?: { id: string; repoTags: string[] } }>("ImageStatus", {
        image: { image },
      });
      expect(user.image?.repoTags).toEqual([`vm/${image}`]);
      const { containerId } = await kubelet.call<{ containerId: string }>("CreateContainer", {
        podSandboxId,
        config: { metadata: { name: "app" }, image: { image: imageRef, userSpecifiedImage: image } },
        sandboxConfig: config,
      });
      expect(containerId).toStartWith("vm__");
      expect(lastCall(vm, "CreateContainer").config.image.image).toBe(imageRef);
      await kubelet.call("RemovePodSandbox", { podSandboxId });
    },
  );

  test("while a RuntimeClass pod runs on vm, a primary pod whose image vm lacks: told to pull, and the pull is answered from the primary's image, no registry", async () => {
    const rc = podConfig("rc-holder", {});
    const { podSandboxId: rcSandbox } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: rc,
      runtimeHandler: "kata",
    });
    const image = "docker.io/library/redis:7.9";
    const held = imageFor(image);
    primary.state.images.set(held.id, held);
    const config = podConfig("plain", { "example.com/team": "c" });
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", { config });
    expect(
      (await kubelet.call<{ image?: object }>("ImageStatus", { image: { image, annotations: config.annotations } }))
        .image,
    ).toBeUndefined();
    const pulls = primary.calls.filter((c) => c.method === "PullImage").length;
    const { imageRef } = await kubelet.call<{ imageRef: string }>("PullImage", {
      image: { image, annotations: config.annotations },
      sandboxConfig: config,
    });
    expect(imageRef).toBe(held.id);
    expect(primary.calls.filter((c) => c.method === "PullImage").length).toBe(pulls); // answered from what it holds
    expect(vm.state.images.has(held.id)).toBe(false);
    expect((await kubelet.call<{ image?: { id: string } }>("ImageStatus", { image: { image } })).image?.id).toBe(
      held.id,
    );
    const { containerId } = await kubelet.call<{ containerId: string }>("CreateContainer", {
      podSandboxId,
      config: { metadata: { name: "app" }, image: { image: imageRef, userSpecifiedImage: image } },
      sandboxConfig: config,
    });
    expect(containerId.startsWith("vm__")).toBe(false);
    for (const id of [rcSandbox, podSandboxId]) await kubelet.call("RemovePodSandbox", { podSandboxId: id });
  });

  test("a pod for vm by RuntimeClass alone with NAME/ image names runs", async () => {
    const config = podConfig("prefixed", {});
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config,
      runtimeHandler: "kata",
    });
    const named = "vm/docker.io/library/nginx:1.27";
    const { imageRef } = await kubelet.call<{ imageRef: string }>("PullImage", {
      image: { image: named },
      sandboxConfig: config,
    });
    const { containerId } = await kubelet.call<{ containerId: string }>("CreateContainer", {
      podSandboxId,
      config: { metadata: { name: "web" }, image: { image: imageRef, userSpecifiedImage: named } },
      sandboxConfig: config,
    });
    expect(containerId).toStartWith("vm__");
    expect(lastCall(vm, "CreateContainer").config.image.userSpecifiedImage).toBe("docker.io/library/nginx:1.27");
  });
});

// Last: it replaces gpu.
test("a runtime that comes back with other handlers: the new ones route, the gone ones do not, without a reload", async () => {
  await gpu.stop();
  gpu = await startFakeRuntime({ socket: gpuSocket, handlers: ["", "tpu"] });
  await waitFor(async () => (await handlerNames()).includes("tpu"), 15_000, "gpu's new handlers learned");
  const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
    config: podConfig("tpu-pod"),
    runtimeHandler: "tpu",
  });
  expect(podSandboxId).toStartWith("gpu__");
  expect(lastCall(gpu, "RunPodSandbox").runtimeHandler).toBe("tpu");
  const names = await handlerNames();
  expect(names).not.toContain("nvidia");
  expect(names).toContain("gvisor"); // still vm's
  expect(proxy.log()).not.toContain("SIGHUP");
});
