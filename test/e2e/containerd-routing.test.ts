// A real containerd as primary and a fake named runtime behind one proxy: a pod with the
// target-runtime annotation runs on the fake, a plain pod on containerd, and one merged
// ListPodSandbox shows both. Under CI=true it must run.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { importPauseImage } from "../support/pause-image.ts";
import {
  hostNetworkPod,
  removePods,
  startPodContainerd,
  TEST_PAUSE_IMAGE,
  type PodContainerd,
} from "../support/pod-containerd.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { missing } from "../support/requires.ts";
import { tempSocket } from "../support/temp-socket.ts";

const skip = missing("containerd") || missing("gcc"); // gcc builds the pause image

let ctrd: PodContainerd | undefined;
let vm: FakeRuntime;
let proxy: ProxyProcess;
let kubelet: CriClient;
let logs: string;
const pods: string[] = [];

beforeAll(async () => {
  if (skip) return;
  ctrd = await startPodContainerd();
  await importPauseImage(ctrd.ctr, TEST_PAUSE_IMAGE);
  vm = await startFakeRuntime({ socket: tempSocket("ctrd-vm"), runtimeName: "vm-fake" });
  proxy = await startProxy(["--connect", `unix://${ctrd.socket},vm:unix://${vm.socket}`]);
  kubelet = criClient(proxy.socket, { deadlineMs: 60_000 });
  logs = mkdtempSync(join(tmpdir(), "criproxy-ctrd-logs-"));
}, 60_000);

afterAll(async () => {
  await removePods(kubelet, pods);
  kubelet?.close();
  await proxy?.stop();
  await vm?.stop();
  await ctrd?.stop();
  if (logs) rmSync(logs, { recursive: true, force: true });
}, 60_000);

test.skipIf(skip)(
  "annotated pod on the fake, plain pod on containerd, both in one merged ListPodSandbox",
  async () => {
    if (!ctrd) throw new Error("containerd did not start");
    const plain = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: hostNetworkPod("plain", logs),
    });
    pods.push(plain.podSandboxId);
    const special = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: hostNetworkPod("special", logs, { "kubernetes.io/target-runtime": "vm" }),
    });
    pods.push(special.podSandboxId);

    expect(plain.podSandboxId).not.toContain("__");
    expect(special.podSandboxId).toStartWith("vm__");
    expect(vm.state.sandboxes.has(special.podSandboxId.slice(4))).toBe(true);

    const direct = criClient(ctrd.socket);
    try {
      const onContainerd = await direct.call<{ items: { id: string }[] }>("ListPodSandbox");
      expect(onContainerd.items.map((p) => p.id)).toEqual([plain.podSandboxId]);
    } finally {
      direct.close();
    }
    const merged = await kubelet.call<{ items: { id: string; metadata: { name: string } }[] }>("ListPodSandbox");
    expect(merged.items.map((p) => [p.metadata.name, p.id])).toEqual([
      ["plain", plain.podSandboxId],
      ["special", special.podSandboxId],
    ]);
    const status = await kubelet.call<{ status: { state: number } }>("PodSandboxStatus", {
      podSandboxId: plain.podSandboxId,
    });
    expect(status.status.state).toBe(0); // SANDBOX_READY on containerd itself
  },
  60_000,
);
