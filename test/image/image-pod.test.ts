// The chicken-and-egg closed on a real runtime: dist/criproxy-oci.tar imported into containerd
// with `ctr images import`, run as a pod through CRI (host network, a locally built pause image,
// no registry), serving its socket in a host directory, and answering Version from containerd.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, ensureBinary, IMAGE_NAME, IMAGE_TAR } from "../../scripts/image.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { importPauseImage } from "../support/pause-image.ts";
import { startPodContainerd, TEST_PAUSE_IMAGE, type PodContainerd } from "../support/pod-containerd.ts";
import { missing } from "../support/requires.ts";

const skip = missing("containerd") || missing("gcc");

// NamespaceMode.NODE: the pod shares the host's network, so no CNI plugin is needed.
const NODE = 2;
let ctrd: PodContainerd | undefined;
let cri: CriClient | undefined;
let work: string;
let podId: string | undefined;

beforeAll(async () => {
  if (skip) return;
  ctrd = await startPodContainerd();
  work = mkdtempSync(join(tmpdir(), "criproxy-pod-"));
  await ensureBinary();
  const binaryTime = Bun.file("dist/criproxy").lastModified;
  if (!existsSync(IMAGE_TAR) || Bun.file(IMAGE_TAR).lastModified < binaryTime) buildImage();
  await ctrd.ctr(["-n", "k8s.io", "images", "import", IMAGE_TAR]);
  await importPauseImage(ctrd.ctr, TEST_PAUSE_IMAGE);
  cri = criClient(ctrd.socket, { deadlineMs: 60_000 });
}, 180_000);

afterAll(async () => {
  if (cri && podId) {
    await cri.call("StopPodSandbox", { podSandboxId: podId }).catch(() => {});
    await cri.call("RemovePodSandbox", { podSandboxId: podId }).catch(() => {});
  }
  cri?.close();
  await ctrd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

test.skipIf(skip)(
  "criproxy runs as a pod on containerd and proxies Version back to it",
  async () => {
    if (!ctrd || !cri) throw new Error("containerd did not start");
    const images = await ctrd.ctr(["-n", "k8s.io", "images", "ls", "-q"]);
    expect(images).toContain(IMAGE_NAME);

    const sockDir = join(work, "criproxy-run");
    require("node:fs").mkdirSync(sockDir);
    const sandboxConfig = {
      metadata: { name: "criproxy", uid: "criproxy-test-uid", namespace: "kube-system", attempt: 0 },
      logDirectory: work,
      linux: { securityContext: { namespaceOptions: { network: NODE } } },
    };
    const run = await cri.call<{ podSandboxId: string }>("RunPodSandbox", { config: sandboxConfig });
    podId = run.podSandboxId;

    const created = await cri.call<{ containerId: string }>("CreateContainer", {
      podSandboxId: podId,
      sandboxConfig,
      config: {
        metadata: { name: "criproxy", attempt: 0 },
        image: { image: IMAGE_NAME },
        // As the DaemonSet would: serve in a host-mounted dir, reach the runtime's mounted socket.
        args: [
          "serve",
          "--listen",
          "/run/criproxy/criproxy.sock",
          "--connect",
          "/run/primary/containerd.sock",
          "-v",
          "3",
        ],
        mounts: [
          { containerPath: "/run/criproxy", hostPath: sockDir },
          { containerPath: "/run/primary/containerd.sock", hostPath: ctrd.socket },
        ],
        logPath: "criproxy.log",
      },
    });
    await cri.call("StartContainer", { containerId: created.containerId });

    const socket = join(sockDir, "criproxy.sock");
    const deadline = Date.now() + 20_000;
    while (!existsSync(socket) && Date.now() < deadline) await Bun.sleep(100);
    const log = () =>
      existsSync(join(work, "criproxy.log")) ? readFileSync(join(work, "criproxy.log"), "utf8") : "(no log)";
    expect(existsSync(socket), `criproxy's socket did not appear; container log:\n${log()}`).toBe(true);

    const viaProxy = criClient(socket, { deadlineMs: 10_000 });
    try {
      const direct = await cri.call<{ runtimeName: string; runtimeVersion: string }>("Version", { version: "v1" });
      const proxied = await viaProxy.call<{ runtimeName: string; runtimeVersion: string }>("Version", {
        version: "v1",
      });
      expect(proxied.runtimeName).toBe("containerd");
      expect(proxied).toEqual(direct);
      // The proxy lists its own pod: the sandbox it runs in, seen through itself.
      const pods = await viaProxy.call<{ items: { id: string }[] }>("ListPodSandbox", {});
      expect(pods.items.map((p) => p.id)).toContain(podId);
    } finally {
      viaProxy.close();
    }
  },
  120_000,
);
