// A private containerd that can run pods on this kind of machine: test/support/containerd.ts
// with the locally built pause image (test/support/pause-image.ts, never pulled) as its sandbox
// image, and oom_score_adj clamped (see CriOptions in containerd-config.ts).
import { startContainerd, type Containerd } from "./containerd.ts";

/** The pause image name this containerd uses as its sandbox image. */
export const TEST_PAUSE_IMAGE = "localhost/criproxy-test-pause:1";

export type PodContainerd = Containerd;

/**
 * Starts it (callers skip first: `missing("containerd")`). `metricsAddress` (HOST:PORT) serves
 * containerd's own /v1/metrics, whose grpc_server_handled_total counts calls by gRPC service.
 */
export function startPodContainerd(opts: { metricsAddress?: string } = {}): Promise<PodContainerd> {
  return startContainerd({ sandboxImage: TEST_PAUSE_IMAGE, restrictOomScoreAdj: true, metricsAddress: opts.metricsAddress });
}
