// Images follow their pod on real runtimes: two private containerds, the second named "alt" (as
// in the critest run), and a bare image name that only alt has. kubelet's sequence for a
// pod annotated for alt — ImageStatus with the pod's annotations, CreateContainer with the
// image id ImageStatus answered and the pod's sandbox config — runs the container on alt; a pod
// sent there by RuntimeClass alone is told what it needs. No registry: the image is the locally
// built pause image under a second name. Under CI=true it must run.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status as grpcStatus } from "@grpc/grpc-js";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { importPauseImage } from "../support/pause-image.ts";
import { hostNetworkPod, removePods, startPodContainerd, TEST_PAUSE_IMAGE, type PodContainerd } from "../support/pod-containerd.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { missing } from "../support/requires.ts";
import { codeOf } from "../support/wait.ts";

const skip = missing("containerd") || missing("gcc");
const APP = "localhost/criproxy-test-app:1"; // on alt only
const CONTAINER_RUNNING = 1;

let primary: PodContainerd | undefined;
let alt: PodContainerd | undefined;
let proxy: ProxyProcess;
let kubelet: CriClient;
let logs: string;
const pods: string[] = [];

beforeAll(async () => {
  if (skip) return;
  // One after the other, so a failing second start leaves the first for afterAll to stop.
  primary = await startPodContainerd();
  alt = await startPodContainerd();
  await Promise.all([importPauseImage(primary.ctr, TEST_PAUSE_IMAGE), importPauseImage(alt.ctr, TEST_PAUSE_IMAGE)]);
  await alt.ctr(["-n", "k8s.io", "images", "tag", TEST_PAUSE_IMAGE, APP]);
  proxy = await startProxy(["--connect", `unix://${primary.socket}`, "--connect", `alt:unix://${alt.socket}`]);
  kubelet = criClient(proxy.socket, { deadlineMs: 60_000 });
  logs = mkdtempSync(join(tmpdir(), "criproxy-ctrd-img-logs-"));
}, 90_000);

afterAll(async () => {
  await removePods(kubelet, pods);
  kubelet?.close();
  await proxy?.stop();
  await Promise.all([primary?.stop(), alt?.stop()]);
  if (logs) rmSync(logs, { recursive: true, force: true });
}, 60_000);

async function runPod(name: string, annotations: Record<string, string>) {
  const config = hostNetworkPod(name, logs, annotations);
  // RuntimeClass handler "alt": the runtime's name, so it goes to alt, which sees its default.
  const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", { config, runtimeHandler: "alt" });
  pods.push(podSandboxId);
  expect(podSandboxId).toStartWith("alt__");
  return { config, podSandboxId };
}

test.skipIf(skip)("a pod annotated for alt runs a bare-named image that only alt has, as kubelet asks for it", async () => {
  const { config, podSandboxId } = await runPod("app", { "kubernetes.io/target-runtime": "alt", "example.com/x": "y" });
  // EnsureImageExists: ImageStatus with the pod's annotations; present, so no pull (IfNotPresent).
  const found = await kubelet.call<{ image: { id: string; repoTags: string[] } }>("ImageStatus", { image: { image: APP, annotations: config.annotations } });
  expect(found.image.repoTags).toContain(`alt/${APP}`);
  const { containerId } = await kubelet.call<{ containerId: string }>("CreateContainer", {
    podSandboxId,
    config: { metadata: { name: "app", attempt: 0 }, image: { image: found.image.id, userSpecifiedImage: APP }, logPath: "app.log" },
    sandboxConfig: config,
  });
  expect(containerId).toStartWith("alt__");
  await kubelet.call("StartContainer", { containerId });
  const status = await kubelet.call<{ status: { state: number; imageRef: string } }>("ContainerStatus", { containerId });
  expect(status.status.state).toBe(CONTAINER_RUNNING);

  const tags = (await kubelet.call<{ images: { repoTags: string[] }[] }>("ListImages")).images.flatMap((i) => i.repoTags);
  expect(tags).toContain(`alt/${APP}`);
  expect(tags).not.toContain(APP); // the primary has no such image
  await kubelet.call("StopContainer", { containerId, timeout: 0n });
  await kubelet.call("RemoveContainer", { containerId });
}, 60_000);

test.skipIf(skip)("a pod sent to alt by RuntimeClass alone: CreateContainer of a bare name says what the pod needs", async () => {
  const { config, podSandboxId } = await runPod("alone", { "example.com/x": "y" });
  // Without the annotation (and without RuntimeClassInImageCriAPI) the image check goes to the primary.
  const onPrimary = await kubelet.call<{ image?: object }>("ImageStatus", { image: { image: APP, annotations: config.annotations } });
  expect(onPrimary.image).toBeUndefined();
  const r = await codeOf(
    kubelet.call("CreateContainer", { podSandboxId, config: { metadata: { name: "app", attempt: 0 }, image: { image: APP }, logPath: "alone.log" }, sandboxConfig: config }),
  );
  expect(r.code).toBe(grpcStatus.INVALID_ARGUMENT);
  expect(r.details).toContain("kubernetes.io/target-runtime: alt");
  expect(r.details).toContain(`"alt/${APP}"`);
}, 60_000);
