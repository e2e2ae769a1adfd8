// kubelet's image calls that name no pod: which runtime's answer kubelet gets. kubelet asks
// ImageStatus with a bare name and no pod hint twice per container start: the presence check of a
// pod whose annotations name no runtime (a RuntimeClass alone), and, for every pod, the image-user
// lookup (getImageUser) whose uid becomes the container's runAsUser and decides runAsNonRoot.
// Neither says which pod asks, so the answer must be right for whichever pod it is, or make
// kubelet ask again; it must never hand one runtime's image user to a container of another image.
import { Code, ConnectError } from "@connectrpc/connect";
import { runtimeLabel } from "./names.ts";
import type { PodView, Resolution } from "./pod-placement.ts";

/** The named runtimes to ask beside the primary; [] = the primary alone answers, as with no named runtime. */
export function lookupRuntimes(image: string, pods: PodView): string[] {
  const named = new Set(pods.unhinted());
  for (const r of pods.resolved(image)) if (r.runtime !== "") named.add(r.runtime);
  return [...named];
}

/** One runtime's answer to the lookup: the id of its image of that name (undefined: it has none), or that it could not answer. */
export type Held = { readonly runtime: string; readonly id: string | undefined } | { readonly runtime: string; readonly failed: true };

/** Whose answer kubelet gets. */
export type LookupDecision =
  /** That runtime's answer, as it is (prefixed for a named runtime). */
  | { readonly kind: "answer"; readonly runtime: string }
  /** No such image: kubelet pulls, with the pod's sandbox config, on the pod's runtime; `holders` have the name and may answer that pull from what they hold. */
  | { readonly kind: "absent"; readonly holders: readonly string[] }
  /** Two pods resolved the name to different images a moment ago: kubelet is told to ask again. */
  | { readonly kind: "ambiguous"; readonly error: ConnectError };

const has = (h: Held): h is { runtime: string; id: string } => !("failed" in h) && h.id !== undefined;

/**
 * Decides a lookup of a bare image name with no pod hint, from what each asked runtime holds
 * (the primary first) and where the name was resolved for a pod a moment ago:
 * 1. resolved to one image: the answer of a runtime holding that image (a pod's image-user lookup
 *    follows its own presence check or pull; a pod of another runtime that gets it fails to create
 *    its container there and is retried, never run with another image's user);
 * 2. resolved to different images (two pods starting at once on runtimes whose images share the
 *    name): Aborted, kubelet asks again;
 * 3. not resolved: present only where every asked runtime has the same image; else absent, and the
 *    pod's pull, which names its pod, goes to its runtime.
 */
export function decideLookup(method: string, image: string, held: readonly Held[], recent: readonly Resolution[]): LookupDecision {
  const idOn = (runtime: string) => held.find((h) => h.runtime === runtime && has(h)) as { id: string } | undefined;
  const byId = new Map<string, string[]>();
  for (const r of recent) {
    // The primary answered a pod's lookup without reading it: the image it holds now is what that pod got.
    const id = r.id ?? idOn(r.runtime)?.id;
    if (id === undefined) continue; // it had none: that pod pulls, and its pull is remembered
    byId.set(id, [...(byId.get(id) ?? []).filter((rt) => rt !== r.runtime), r.runtime]);
  }
  if (byId.size > 1) {
    const which = [...byId].map(([id, rts]) => `${rts.map(runtimeLabel).join(", ")} (${id})`).join(" and ");
    const why = `${method}: image "${image}" was just resolved to different images for pods on ${which}; this call names no pod, so criproxy cannot tell which image it is about: retry`;
    return { kind: "ambiguous", error: new ConnectError(why, Code.Aborted) };
  }
  for (const [id, runtimes] of byId) {
    const holder = [...runtimes].reverse().find((rt) => idOn(rt)?.id === id) ?? held.find((h) => has(h) && h.id === id)?.runtime;
    if (holder !== undefined) return { kind: "answer", runtime: holder };
  }
  const first = held[0];
  if (first !== undefined && has(first) && held.every((h) => has(h) && h.id === first.id)) return { kind: "answer", runtime: first.runtime };
  return { kind: "absent", holders: held.filter(has).map((h) => h.runtime) };
}
