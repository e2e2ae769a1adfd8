// A private containerd that can run pods on this kind of machine: test/support/containerd.ts
// with the locally built pause image (test/support/pause-image.ts, never pulled) as its sandbox
// image, and oom_score_adj clamped (see CriOptions in containerd-config.ts).
import { startContainerd, type Containerd } from "./containerd.ts";
import type { CriClient } from "./grpc-client.ts";

/** The pause image name this containerd uses as its sandbox image. */
export const TEST_PAUSE_IMAGE = "localhost/criproxy-test-pause:1";

export type PodContainerd = Containerd;

/**
 * Starts it (callers skip first: `missing("containerd")`). `metricsAddress` (HOST:PORT) serves
 * containerd's own /v1/metrics, whose grpc_server_handled_total counts calls by gRPC service.
 */
export function startPodContainerd(opts: { metricsAddress?: string } = {}): Promise<PodContainerd> {
  return startContainerd({
    sandboxImage: TEST_PAUSE_IMAGE,
    restrictOomScoreAdj: true,
    metricsAddress: opts.metricsAddress,
  });
}

/** NamespaceMode.NODE: the pod shares the host's network, so no CNI plugin is needed. */
const NODE = 2;

/** A kubelet-shaped PodSandboxConfig on the host network, logging under `logDirectory`. */
export function hostNetworkPod(name: string, logDirectory: string, annotations: Record<string, string> = {}) {
  return {
    metadata: { name, namespace: "default", uid: `uid-${name}`, attempt: 0 },
    logDirectory,
    annotations,
    linux: { securityContext: { namespaceOptions: { network: NODE } } },
  };
}

/** Stops and removes each pod sandbox, ignoring errors: cleanup after a test that may have failed midway. */
export async function removePods(cri: Pick<CriClient, "call">, podSandboxIds: readonly string[]): Promise<void> {
  for (const podSandboxId of podSandboxIds) {
    await cri.call("StopPodSandbox", { podSandboxId }).catch(() => {});
    await cri.call("RemovePodSandbox", { podSandboxId }).catch(() => {});
  }
}
