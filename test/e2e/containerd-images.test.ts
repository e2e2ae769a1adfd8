// A pod runs where its sandbox runs, on real runtimes: two private containerds, the second named
// "alt" (as in the critest run), no registry (the images are the locally built pause image
// under other names and users). kubelet's calls for one container, in its order:
//   1. ImageStatus{image, annotations: the pod's}   presence check (EnsureImageExists)
//   2. PullImage{image, annotations}, sandbox_config when absent
//   3. ImageStatus{image}, bare, no annotations      image user (getImageUser) -> runAsUser, runAsNonRoot
//   4. CreateContainer(sandbox, {image: the id from 1 or 2}, runAsUser from 3, sandbox_config)
// for a pod annotated for alt and for a pod a RuntimeClass handler ("alt", by name) alone sends
// there, with alt spoken to in CRI v1 and in v1alpha2. The primary holds other images under the
// same names, with the opposite users: an answer from the wrong runtime shows. Under CI=true it must run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

const skip = missing("containerd") || missing("gcc");
const APP = "localhost/criproxy-test-app:1"; // on alt only
const NOBODY = "localhost/criproxy-test-nobody:1"; // alt: USER 65534; the primary: another image, USER 0
const ROOT = "localhost/criproxy-test-root:1"; // alt: USER 0; the primary: another image, USER 65534
const CONTAINER_RUNNING = 1;

let primary: PodContainerd | undefined;
let alt: PodContainerd | undefined;
const proxies: Record<string, ProxyProcess> = {};
const clients: Record<string, CriClient> = {};
let logs: string;
const pods: { client: CriClient; id: string }[] = [];

beforeAll(async () => {
  if (skip) return;
  // One after the other, so a failing second start leaves the first for afterAll to stop.
  primary = await startPodContainerd();
  alt = await startPodContainerd();
  await Promise.all([importPauseImage(primary.ctr, TEST_PAUSE_IMAGE), importPauseImage(alt.ctr, TEST_PAUSE_IMAGE)]);
  await alt.ctr(["-n", "k8s.io", "images", "tag", TEST_PAUSE_IMAGE, APP]);
  // Different images (their configs differ in User) under one name on each runtime.
  await Promise.all([
    importPauseImage(alt.ctr, NOBODY, "65534:65534"),
    importPauseImage(primary.ctr, NOBODY, "0:0"),
    importPauseImage(alt.ctr, ROOT, "0"),
    importPauseImage(primary.ctr, ROOT, "65534"),
  ]);
  for (const [api, suffix] of [
    ["v1", ""],
    ["v1alpha2", "?api=v1alpha2"],
  ]) {
    proxies[api] = await startProxy([
      "--connect",
      `unix://${primary.socket}`,
      "--connect",
      `alt:unix://${alt.socket}${suffix}`,
    ]);
    clients[api] = criClient(proxies[api].socket, { deadlineMs: 60_000 });
  }
  logs = mkdtempSync(join(tmpdir(), "criproxy-ctrd-img-logs-"));
}, 120_000);

afterAll(async () => {
  for (const p of pods) await removePods(p.client, [p.id]);
  for (const c of Object.values(clients)) c.close();
  for (const p of Object.values(proxies)) await p.stop();
  await Promise.all([primary?.stop(), alt?.stop()]);
  if (logs) rmSync(logs, { recursive: true, force: true });
}, 60_000);

type Image = { id: string; repoTags: string[]; uid?: { value: bigint } };
let n = 0;

/** RunPodSandbox with RuntimeClass handler "alt" (the runtime's name: alt, its default handler). */
async function runPod(kubelet: CriClient, annotated: boolean) {
  const name = `pod-${n++}`;
  const annotations: Record<string, string> = {
    "example.com/x": "y",
    ...(annotated ? { "kubernetes.io/target-runtime": "alt" } : {}),
  };
  const config = hostNetworkPod(name, logs, annotations);
  const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
    config,
    runtimeHandler: "alt",
  });
  pods.push({ client: kubelet, id: podSandboxId });
  expect(podSandboxId).toStartWith("alt__");
  return { config, podSandboxId };
}

/** kubelet's four calls for one container (the header); returns what kubelet would have learned and the container. */
async function startContainer(
  kubelet: CriClient,
  pod: { config: ReturnType<typeof hostNetworkPod>; podSandboxId: string },
  image: string,
  runtime = "alt",
) {
  const present = await kubelet.call<{ image?: Image }>("ImageStatus", {
    image: { image, annotations: pod.config.annotations },
  });
  let ref = present.image?.id;
  if (ref === undefined)
    ref = (
      await kubelet.call<{ imageRef: string }>("PullImage", {
        image: { image, annotations: pod.config.annotations },
        sandboxConfig: pod.config,
      })
    ).imageRef;
  const user = (await kubelet.call<{ image?: Image }>("ImageStatus", { image: { image } })).image;
  // kubelet: the image's uid becomes runAsUser when the pod sets none; none at all reads as root.
  const uid = user?.uid?.value ?? 0n;
  const { containerId } = await kubelet.call<{ containerId: string }>("CreateContainer", {
    podSandboxId: pod.podSandboxId,
    config: {
      metadata: { name: "app", attempt: 0 },
      image: { image: ref, userSpecifiedImage: image },
      logPath: `${pod.config.metadata.name}.log`,
      linux: { securityContext: { runAsUser: { value: uid } } },
    },
    sandboxConfig: pod.config,
  });
  expect(containerId.startsWith("alt__")).toBe(runtime === "alt");
  await kubelet.call("StartContainer", { containerId });
  const status = await kubelet.call<{ status: { state: number }; info: Record<string, string> }>("ContainerStatus", {
    containerId,
    verbose: true,
  });
  expect(status.status.state).toBe(CONTAINER_RUNNING);
  return { ref, uid, user, containerId, processUid: processUid(status.info) };
}

/** The real uid of the container's process (containerd's verbose info has its pid). */
function processUid(info: Record<string, string>): number {
  const pid = JSON.parse(info.info).pid as number;
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Uid:"))!;
  return Number(line.split(/\s+/)[1]);
}

async function imageId(c: PodContainerd, name: string): Promise<string> {
  const out = await c.ctr(["-n", "k8s.io", "images", "ls", `name==${name}`]);
  return out.split("\n")[1].split(/\s+/)[2]; // REF TYPE DIGEST ...: the manifest digest
}

describe.each(["v1", "v1alpha2"])("alt on CRI %s", (api) => {
  const kubelet = () => clients[api];

  test.skipIf(skip)(
    "a pod annotated for alt runs a bare-named image that only alt has",
    async () => {
      const pod = await runPod(kubelet(), true);
      const c = await startContainer(kubelet(), pod, APP);
      expect(c.user?.repoTags).toContain(`alt/${APP}`);
      const tags = (await kubelet().call<{ images: { repoTags: string[] }[] }>("ListImages")).images.flatMap(
        (i) => i.repoTags,
      );
      expect(tags).toContain(`alt/${APP}`);
      expect(tags).not.toContain(APP); // the primary has no such image
    },
    60_000,
  );

  test.skipIf(skip)(
    "a pod sent to alt by RuntimeClass alone runs a bare-named image that only alt has",
    async () => {
      const pod = await runPod(kubelet(), false);
      const c = await startContainer(kubelet(), pod, APP);
      expect(c.user?.repoTags).toContain(`alt/${APP}`);
    },
    60_000,
  );

  for (const annotated of [true, false]) {
    const how = annotated ? "annotated for alt" : "sent to alt by RuntimeClass alone";
    test.skipIf(skip)(
      `a pod ${how}, image USER 65534 on alt (root on the primary, same name): runs as 65534`,
      async () => {
        const c = await startContainer(kubelet(), await runPod(kubelet(), annotated), NOBODY);
        expect(c.user?.repoTags).toContain(`alt/${NOBODY}`);
        expect(c.uid).toBe(65534n);
        expect(c.processUid).toBe(65534);
      },
      60_000,
    );

    test.skipIf(skip)(
      `a pod ${how}, image USER 0 on alt (65534 on the primary, same name): its user is root, so runAsNonRoot refuses it`,
      async () => {
        const c = await startContainer(kubelet(), await runPod(kubelet(), annotated), ROOT);
        expect(c.user?.repoTags).toContain(`alt/${ROOT}`);
        expect(c.uid).toBe(0n); // kubelet's verifyRunAsNonRoot: "container has runAsNonRoot and image will run as root"
        expect(c.processUid).toBe(0);
      },
      60_000,
    );
  }
});

test.skipIf(skip)(
  "the primary's own pod still gets the primary's image and user for the same names",
  async () => {
    expect(await imageId(primary!, NOBODY)).not.toBe(await imageId(alt!, NOBODY));
    const kubelet = clients.v1;
    const config = hostNetworkPod(`plain-${n++}`, logs, { "example.com/x": "y" });
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", { config });
    pods.push({ client: kubelet, id: podSandboxId });
    const c = await startContainer(kubelet, { config, podSandboxId }, NOBODY, "");
    expect(c.uid).toBe(0n);
    expect(c.processUid).toBe(0);
  },
  60_000,
);
