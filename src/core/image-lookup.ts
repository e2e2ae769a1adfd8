// kubelet's image calls that name no pod: which runtime's answer kubelet gets. For each container
// kubelet asks ImageStatus of a bare name twice (kubelet >= 1.26, pkg/kubelet/images/image_manager.go
// and kuberuntime/kuberuntime_container.go):
// - the presence check (EnsureImageExists): the ImageSpec carries the pod's annotations, which
//   kubelet always has (kubernetes.io/config.source, .seen); they name a runtime only when the pod
//   has the target-runtime annotation, and a RuntimeClass alone leaves them silent;
// - the image-user lookup (getImageUser), right after the presence check or the pull: no
//   annotations at all. Its uid becomes the container's runAsUser and decides runAsNonRoot; no
//   image reads as root.
// Neither says which pod asks. A presence check may say "absent" (kubelet then pulls, naming its
// pod); an image-user lookup must never hand one image's user to a container of another image, and
// never say "absent" for an image a runtime has: where it cannot tell, kubelet is told to retry.
import { Code, ConnectError } from "@connectrpc/connect";
import { runtimeLabel } from "./names.ts";
import type { PodView } from "./pod-placement.ts";

/** The name kubelet resolved: a bare name without tag or digest is `:latest` (kubelet's applyDefaultImageTag; getImageUser asks the name unchanged). */
export function imageKey(image: string): string {
  if (image.includes("@")) return image;
  return image.lastIndexOf(":") > image.lastIndexOf("/") ? image : `${image}:latest`;
}

/** The named runtimes to ask beside the primary; [] = the primary alone answers, as with no named runtime. */
export function lookupRuntimes(image: string, presence: boolean, pods: PodView): string[] {
  const named = new Set(pods.unhinted());
  // An image-user lookup follows the presence checks and pulls still waiting for theirs.
  if (!presence) for (const r of pods.resolved(imageKey(image))) if (r.runtime !== "") named.add(r.runtime);
  return [...named];
}

/** One runtime's answer to the lookup: the id of its image of that name (undefined: it has none), or that it could not answer. */
export type Held =
  | { readonly runtime: string; readonly id: string | undefined }
  | { readonly runtime: string; readonly failed: true };

/** Whose answer kubelet gets. */
export type LookupDecision =
  /** That runtime's answer, as it is (prefixed for a named runtime); `id`: the image it names; `settles`: the runtimes whose pending resolution it answers. */
  | { readonly kind: "answer"; readonly runtime: string; readonly id: string; readonly settles?: readonly string[] }
  /** No such image: kubelet pulls, naming its pod, on the pod's runtime; `holders` have the name and may answer that pull from what they hold. */
  | { readonly kind: "absent"; readonly holders: readonly string[] }
  /** Which image the call is about cannot be told: kubelet is told to ask again (Aborted); `settles`: pending resolutions given up. */
  | { readonly kind: "retry"; readonly error: ConnectError; readonly settles?: readonly string[] };

const has = (h: Held): h is { runtime: string; id: string } => !("failed" in h) && h.id !== undefined;

/** A presence check: present only where every asked runtime (the primary, and those running pods a RuntimeClass alone placed) has the same image. */
export function decidePresence(held: readonly Held[]): LookupDecision {
  const first = held[0];
  if (first !== undefined && has(first) && held.every((h) => has(h) && h.id === first.id))
    return { kind: "answer", runtime: first.runtime, id: first.id };
  return { kind: "absent", holders: held.filter(has).map((h) => h.runtime) };
}

/**
 * An image-user lookup, from what each asked runtime holds (the primary first) and the presence
 * checks and pulls of that name still waiting for their image-user lookup (`pending`, as runtime
 * and image id; id undefined: the primary answered unread, so what it holds now):
 * 1. pending for one image: the answer of a runtime holding that image;
 * 2. pending for different images (pods starting at once on runtimes whose images share the name): retry;
 * 3. none pending: every runtime has the same image: it; else, while the name is `contested` (pods
 *    were told to retry a moment ago, and one of them may be asking), retry; else the primary's
 *    answer, as without named runtimes (crictl inspecti, a lookup no presence check came before).
 */
export function decideUser(
  method: string,
  image: string,
  held: readonly Held[],
  pending: readonly { runtime: string; id: string | undefined }[],
  contested = false,
): LookupDecision {
  const idOn = (runtime: string) => held.find((h) => h.runtime === runtime && has(h)) as { id: string } | undefined;
  const byId = new Map<string, string[]>();
  for (const r of pending) {
    const id = r.id ?? idOn(r.runtime)?.id;
    if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []).filter((rt) => rt !== r.runtime), r.runtime]);
  }
  const retry = (why: string, settles?: string[]): LookupDecision => ({
    kind: "retry",
    error: new ConnectError(
      `${method}: image "${image}" ${why}; this call names no pod, so criproxy cannot tell which of them it is about: retry`,
      Code.Aborted,
    ),
    settles,
  });
  // Given up, so that the pods' next tries (each its own presence check, then its lookup) are told apart.
  if (byId.size > 1)
    return retry(
      `was just resolved to different images for pods on ${[...byId].map(([id, rts]) => `${rts.map(runtimeLabel).join(", ")} (${id})`).join(" and ")}`,
      pending.map((r) => r.runtime),
    );
  for (const [id, runtimes] of byId) {
    const holder =
      [...runtimes].reverse().find((rt) => idOn(rt)?.id === id) ?? held.find((h) => has(h) && h.id === id)?.runtime;
    if (holder !== undefined) return { kind: "answer", runtime: holder, id, settles: runtimes };
  }
  const present = decidePresence(held);
  if (present.kind === "answer" || (present.kind === "absent" && present.holders.length === 0)) return present;
  if (contested)
    return retry(
      `is held as different images or not everywhere (${held
        .filter(has)
        .map((h) => `${runtimeLabel(h.runtime)}: ${h.id}`)
        .join(", ")}), and pods using it were just told to retry`,
    );
  const primary = held[0];
  return primary !== undefined && has(primary)
    ? { kind: "answer", runtime: primary.runtime, id: primary.id }
    : { kind: "absent", holders: [] };
}
