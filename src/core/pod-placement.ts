// What routing knows of pods beyond the request: which named runtime runs each pod (learned when
// criproxy routed its RunPodSandbox, rebuilt from the runtimes' ListPodSandbox), and where bare
// image names were just resolved for a pod. The pipeline keeps both (pipeline/pod-placements.ts,
// pipeline/image-lookups.ts) and hands route() this read-only view; route() stays pure.
import type { PodSandboxMetadata } from "../gen/runtime/v1/api_pb.ts";

/** A pod as kubelet names it in every sandbox config: namespace, name, uid and attempt. */
export function podKey(
  metadata: Pick<PodSandboxMetadata, "namespace" | "name" | "uid" | "attempt"> | undefined,
): string {
  if (metadata === undefined) return "";
  return `${metadata.namespace}/${metadata.name}/${metadata.uid}/${metadata.attempt}`;
}

/** A bare image name resolved on a runtime for a pod, a moment ago. */
export interface Resolution {
  /** "" = the primary. */
  readonly runtime: string;
  /** The runtime's own image id (unprefixed); undefined: the primary answered a lookup with no pod hint (its answer was not read). */
  readonly id: string | undefined;
}

/** What route() may ask about pods; every answer is a snapshot, no I/O. */
export interface PodView {
  /** The named runtime running the pod with this key (podKey), or undefined: the primary's, or unknown. */
  runtimeOf(key: string): string | undefined;
  /** Named runtimes running pods placed there without the target-runtime annotation (a RuntimeClass alone), in --connect order. */
  unhinted(): readonly string[];
  /** Where the bare image name was resolved for a pod within the lookup window, newest last. */
  resolved(image: string): readonly Resolution[];
}

/** No pods known: routing as if every pod were the primary's. */
export const NO_PODS: PodView = { runtimeOf: () => undefined, unhinted: () => [], resolved: () => [] };
