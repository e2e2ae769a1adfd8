// Believable kubelet-shaped objects: what a node running real pods would list.
import { create } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import {
  ContainerSchema,
  ContainerState,
  ImageSchema,
  ImageSpecSchema,
  PodSandboxSchema,
  PodSandboxState,
  type Image,
  type ImageSpec,
} from "../gen/runtime/v1/api_pb.ts";
import { digestOf, newId, nowNanos } from "./ids.ts";
import { normalizeImageRef, repositoryOf } from "./image-ref.ts";
import type { FakeContainer, FakeSandbox, FakeState } from "./state.ts";

/** Well-known images, used first when pre-filling and by pre-filled containers. */
export const IMAGE_CATALOG = [
  "registry.k8s.io/pause:3.9",
  "docker.io/library/nginx:1.25.3",
  "docker.io/library/redis:7.2.4",
  "quay.io/prometheus/node-exporter:v1.7.0",
  "registry.k8s.io/kube-proxy:v1.29.0",
  "docker.io/library/busybox:1.36",
  "ghcr.io/fluxcd/source-controller:v1.2.3",
  "docker.io/envoyproxy/envoy:v1.28.0",
];

const NAMESPACES = ["default", "kube-system", "monitoring", "web"];
const APPS = ["web", "api", "worker", "cache", "ingress", "metrics", "billing", "search"];
const CONTAINER_NAMES = ["app", "sidecar", "log-shipper", "proxy", "exporter", "config-reloader"];

/** The `Image` a pull of this reference produces: id and repo digest derive from the name. */
export function imageFor(ref: string, sizeSeed = 0): Image {
  const tag = normalizeImageRef(ref);
  const id = digestOf(`image:${tag}`);
  const pause = tag.startsWith("registry.k8s.io/pause:");
  return create(ImageSchema, {
    id,
    repoTags: [tag],
    repoDigests: [`${repositoryOf(tag)}@${digestOf(`manifest:${tag}`)}`],
    size: BigInt(pause ? 268_000 : 5_000_000 + ((sizeSeed * 7_919_113) % 120_000_000)),
    username: "",
    // containerd pins its sandbox image so image GC never removes it.
    pinned: pause,
  });
}

/** The `ImageSpec` kubelet puts in a container config for an image: the id, plus what the user wrote. */
export function imageSpecFor(image: Image, userSpecified: string): ImageSpec {
  return create(ImageSpecSchema, { image: image.id, userSpecifiedImage: userSpecified });
}

function shortHash(n: number, len: number): string {
  return digestOf(String(n)).slice(7, 7 + len);
}

/** Pod `n` of a pre-filled node: a READY sandbox with kubelet's labels and annotations. */
export function sandboxFixture(n: number, handler: string, createdAt: bigint): FakeSandbox {
  const app = APPS[n % APPS.length];
  const namespace = NAMESPACES[n % NAMESPACES.length];
  const name = `${app}-${shortHash(n, 10)}-${shortHash(n + 1e6, 5)}`;
  const uid = randomUUID();
  const sandbox = create(PodSandboxSchema, {
    id: newId(),
    metadata: { name, uid, namespace, attempt: 0 },
    state: PodSandboxState.SANDBOX_READY,
    createdAt,
    labels: {
      app,
      "io.kubernetes.pod.name": name,
      "io.kubernetes.pod.namespace": namespace,
      "io.kubernetes.pod.uid": uid,
      "pod-template-hash": shortHash(n, 10),
    },
    annotations: {
      "kubernetes.io/config.seen": new Date(Number(createdAt / 1_000_000n)).toISOString(),
      "kubernetes.io/config.source": "api",
    },
    runtimeHandler: handler,
  });
  return {
    sandbox,
    ip: `10.88.${(n >> 8) & 255}.${(n & 255) + 2}`,
    hostname: name,
    logDirectory: `/var/log/pods/${namespace}_${name}_${uid}`,
  };
}

/** Container `i` of a sandbox, RUNNING, with kubelet's labels and annotations. */
export function containerFixture(pod: FakeSandbox, i: number, createdAt: bigint): FakeContainer {
  const meta = pod.sandbox.metadata!;
  const name = i < CONTAINER_NAMES.length ? CONTAINER_NAMES[i] : `container-${i}`;
  const ref = IMAGE_CATALOG[1 + ((i + meta.name.length) % (IMAGE_CATALOG.length - 1))];
  const image = imageFor(ref);
  const container = create(ContainerSchema, {
    id: newId(),
    podSandboxId: pod.sandbox.id,
    metadata: { name, attempt: 0 },
    image: imageSpecFor(image, ref),
    imageRef: image.repoDigests[0],
    imageId: image.id,
    state: ContainerState.CONTAINER_RUNNING,
    createdAt,
    labels: {
      "io.kubernetes.container.name": name,
      "io.kubernetes.pod.name": meta.name,
      "io.kubernetes.pod.namespace": meta.namespace,
      "io.kubernetes.pod.uid": meta.uid,
    },
    annotations: {
      "io.kubernetes.container.hash": shortHash(i * 31 + meta.name.length, 8),
      "io.kubernetes.container.restartCount": "0",
      "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
      "io.kubernetes.container.terminationMessagePolicy": "File",
      "io.kubernetes.pod.terminationGracePeriod": "30",
    },
  });
  return {
    container,
    startedAt: createdAt + 150_000_000n,
    finishedAt: 0n,
    exitCode: 0,
    reason: "",
    logPath: `${pod.logDirectory}/${name}/0.log`,
  };
}

/** Pre-fill a state with `pods` sandboxes of `perPod` containers each, and `images` images. */
export function prefill(state: FakeState, pods: number, perPod: number, images: number, handler: string): void {
  // Spread creation times over the last hour, oldest first, as a long-running node would show.
  const now = nowNanos();
  for (let n = 0; n < pods; n++) {
    // At least a minute old, so container creation and start times stay in the past.
    const createdAt = now - 60_000_000_000n - (BigInt(pods - n) * 3_600_000_000_000n) / BigInt(pods + 1);
    const pod = sandboxFixture(n, handler, createdAt);
    state.sandboxes.set(pod.sandbox.id, pod);
    for (let i = 0; i < perPod; i++) {
      const c = containerFixture(pod, i, createdAt + BigInt(i + 1) * 100_000_000n);
      state.containers.set(c.container.id, c);
    }
  }
  for (let k = 0; k < images; k++) {
    const ref = k < IMAGE_CATALOG.length ? IMAGE_CATALOG[k] : `registry.example.com/team/app-${k}:v1.${k}.0`;
    const image = imageFor(ref, k);
    state.images.set(image.id, image);
  }
}
