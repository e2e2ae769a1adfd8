// Debian's containerd 1.6 as a named runtime forced to CRI v1alpha2 (`?api=v1alpha2`; it serves
// both APIs): a pod's whole life and an image pull through the proxy, as kubelet sends them in
// v1. containerd's own gRPC counters (its /v1/metrics) show which service every call reached,
// so the test does not take the proxy's word for it. The image is pulled from a registry on
// 127.0.0.1 that the test serves (this machine reaches no other). Under CI=true it must run.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { ContainerState } from "../../src/gen/runtime/v1/api_pb.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { buildPauseImage, importPauseImage } from "../support/pause-image.ts";
import { hostNetworkPod, startPodContainerd, TEST_PAUSE_IMAGE, type PodContainerd } from "../support/pod-containerd.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { missing } from "../support/requires.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { serveImage, type TinyRegistry } from "../support/tiny-registry.ts";
import { waitFor } from "../support/wait.ts";

const skip = missing("containerd") || missing("gcc"); // gcc builds the pause image

let ctrd: PodContainerd | undefined;
let metrics = "";
let registry: TinyRegistry | undefined;
let primary: FakeRuntime;
let proxy: ProxyProcess;
let kubelet: CriClient;
let dir = "";

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** containerd's count of calls it handled, by service and method (its go-grpc-prometheus counters). */
async function handled(service: string, method: string): Promise<number> {
  const text = await (await fetch(`http://${metrics}/v1/metrics`)).text();
  const re = new RegExp(
    `^grpc_server_handled_total\\{grpc_code="OK",grpc_method="${method}",grpc_service="${service.replace(/\./g, "\\.")}",grpc_type="unary"\\} (\\d+)$`,
    "m",
  );
  return Number(re.exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  if (skip) return;
  metrics = `127.0.0.1:${await freePort()}`;
  ctrd = await startPodContainerd({ metricsAddress: metrics });
  dir = mkdtempSync(join(tmpdir(), "criproxy-ctrd-a2-"));
  buildPauseImage(join(dir, "app.tar")); // the app image: the same static binary, served by the registry
  registry = serveImage(readFileSync(join(dir, "app.tar")), "criproxy-test/app", "1");
  primary = await startFakeRuntime({ socket: tempSocket("ctrd-a2-primary"), runtimeName: "primary-fake" });
  proxy = await startProxy(["--connect", `${primary.socket},ctrd:unix://${ctrd.socket}?api=v1alpha2`, "-v", "1"]);
  kubelet = criClient(proxy.socket, { deadlineMs: 60_000 });
  await waitFor(() => /runtime ctrd .*-> ready/.test(proxy.log()), 10_000, "ctrd ready");
}, 60_000);

afterAll(async () => {
  kubelet?.close();
  await proxy?.stop();
  await primary?.stop();
  registry?.stop();
  await ctrd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

test.skipIf(skip)(
  "a pod's whole life and an image pull on containerd spoken to in v1alpha2",
  async () => {
    if (!ctrd || !registry) throw new Error("containerd did not start");
    expect(proxy.log()).toMatch(/runtime ctrd \(unix:\/\/\S+\): connecting -> ready \(CRI v1alpha2, as configured\)/);
    const image = `ctrd/${registry.ref}`;
    const sandboxConfig = hostNetworkPod("a2-pod", join(dir, "logs"), { "kubernetes.io/target-runtime": "ctrd" });

    const pulled = await kubelet.call<{ imageRef: string }>("PullImage", {
      image: { image, userSpecifiedImage: image },
      sandboxConfig,
    });
    expect(pulled.imageRef).toStartWith("sha256:"); // an image id is a digest: never prefixed
    // Fetched whole from the registry: the pause image (the same bytes) is imported only after.
    expect(registry.requests.filter((r) => r.startsWith("GET ")).length).toBeGreaterThanOrEqual(3); // manifest, config, layer
    await importPauseImage(ctrd.ctr, TEST_PAUSE_IMAGE);
    const status = await kubelet.call<{ image: { repoTags: string[] } }>("ImageStatus", { image: { image } });
    expect(status.image.repoTags).toContain(image);

    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", { config: sandboxConfig });
    expect(podSandboxId).toStartWith("ctrd__");
    const { containerId } = await kubelet.call<{ containerId: string }>("CreateContainer", {
      podSandboxId,
      config: {
        metadata: { name: "app", attempt: 0 },
        image: { image, userSpecifiedImage: image },
        logPath: "app.log",
      },
      sandboxConfig,
    });
    expect(containerId).toStartWith("ctrd__");
    await kubelet.call("StartContainer", { containerId });
    const running = await kubelet.call<{ status: { id: string; state: number; image: { image: string } } }>(
      "ContainerStatus",
      { containerId },
    );
    expect(running.status.id).toBe(containerId);
    expect(running.status.state).toBe(ContainerState.CONTAINER_RUNNING);
    const listed = await kubelet.call<{ containers: { id: string; podSandboxId: string }[] }>("ListContainers", {});
    expect(listed.containers).toContainEqual(expect.objectContaining({ id: containerId, podSandboxId }));

    await kubelet.call("StopContainer", { containerId, timeout: 5n });
    const stopped = await kubelet.call<{ status: { state: number } }>("ContainerStatus", { containerId });
    expect(stopped.status.state).toBe(ContainerState.CONTAINER_EXITED);
    await kubelet.call("RemoveContainer", { containerId });
    await kubelet.call("StopPodSandbox", { podSandboxId });
    await kubelet.call("RemovePodSandbox", { podSandboxId });
    const after = await kubelet.call<{ items: { id: string }[] }>("ListPodSandbox", {});
    expect(after.items.map((p) => p.id)).not.toContain(podSandboxId);

    // containerd itself says every call arrived on v1alpha2 and none of them on v1.
    const runtimeCalls = [
      "RunPodSandbox",
      "CreateContainer",
      "StartContainer",
      "ContainerStatus",
      "ListContainers",
      "StopContainer",
      "RemoveContainer",
      "StopPodSandbox",
      "RemovePodSandbox",
    ];
    for (const m of runtimeCalls) {
      expect(await handled("runtime.v1alpha2.RuntimeService", m), m).toBeGreaterThanOrEqual(1);
      expect(await handled("runtime.v1.RuntimeService", m), m).toBe(0);
    }
    for (const m of ["PullImage", "ImageStatus"]) {
      expect(await handled("runtime.v1alpha2.ImageService", m), m).toBe(1);
      expect(await handled("runtime.v1.ImageService", m), m).toBe(0);
    }
  },
  90_000,
);
