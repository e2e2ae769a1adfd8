// Which named runtime runs each pod: learned when criproxy routes a RunPodSandbox there, rebuilt
// from the runtime's ListPodSandbox when it becomes ready (after a restart of criproxy or of the
// runtime, or a reload that adds it), forgotten when the sandbox is removed. A cache of what the
// runtimes say, never a record of its own: a restarted proxy rebuilds it from them. The primary's
// pods are not held (a pod nobody placed is the primary's), so a node with no named runtime holds
// nothing.
import { TARGET_RUNTIME_ANNOTATION } from "../core/target-runtime.ts";
import { podKey, type PodView } from "../core/pod-placement.ts";
import { prefixId } from "../core/names.ts";
import type { PodSandbox } from "../gen/runtime/v1/api_pb.ts";

/** The most sandboxes held: kubelet runs at most a few hundred pods per node (110 by default). */
export const MAX_PLACEMENTS = 8192;

interface Placement {
  readonly runtime: string;
  /** The pod's sandbox id as kubelet sees it (`NAME__id`). */
  readonly id: string;
  /** Placed without the target-runtime annotation: by a RuntimeClass handler alone. */
  readonly unhinted: boolean;
}

/** Pods on named runtimes, by podKey; bounded (the oldest goes first). */
export class PodPlacements {
  private readonly byKey = new Map<string, Placement>();
  private readonly keyById = new Map<string, string>();
  /** Per runtime, how many of its pods a RuntimeClass alone placed. */
  private readonly unhintedCount = new Map<string, number>();
  /** Runtimes whose pods are listed at least once since they became ready. */
  private readonly listed = new Set<string>();
  private order: readonly string[] = [];

  /** The runtimes in --connect order (unhinted() answers in it). */
  setOrder(names: readonly string[]): void {
    this.order = names;
  }

  /** Remembers that the pod `key` runs on `runtime` in sandbox `id` (as kubelet sees it). */
  learn(runtime: string, key: string, id: string, unhinted: boolean): void {
    if (key === "" || runtime === "") return;
    this.remove(key);
    this.byKey.set(key, { runtime, id, unhinted });
    this.keyById.set(id, key);
    if (unhinted) this.unhintedCount.set(runtime, (this.unhintedCount.get(runtime) ?? 0) + 1);
    while (this.byKey.size > MAX_PLACEMENTS) this.remove(this.byKey.keys().next().value!);
  }

  /** Forgets the sandbox `id` (as kubelet sees it). */
  forget(id: string): void {
    const key = this.keyById.get(id);
    if (key !== undefined) this.remove(key);
  }

  /** Replaces what is known of `runtime` with its ListPodSandbox answer. */
  replace(runtime: string, sandboxes: readonly PodSandbox[]): void {
    this.drop(runtime);
    for (const s of sandboxes)
      this.learn(
        runtime,
        podKey(s.metadata),
        prefixId(runtime, s.id),
        (s.annotations[TARGET_RUNTIME_ANNOTATION] ?? "") === "",
      );
    this.listed.add(runtime);
  }

  /** Forgets every pod of `runtime` (removed from the configuration, or about to be listed again). */
  drop(runtime: string): void {
    for (const [key, p] of [...this.byKey]) if (p.runtime === runtime) this.remove(key);
    this.listed.delete(runtime);
  }

  /** Whether `runtime`'s pods were listed since it became ready. */
  isListed(runtime: string): boolean {
    return this.listed.has(runtime);
  }

  /** How many sandboxes are held (metrics, tests). */
  get size(): number {
    return this.byKey.size;
  }

  /** The read-only view route() gets (with the image lookups' part filled in by the caller). */
  runtimeOf(key: string): string | undefined {
    return this.byKey.get(key)?.runtime;
  }

  /** Named runtimes running pods a RuntimeClass alone placed, in --connect order. */
  unhinted(): readonly string[] {
    if (this.unhintedCount.size === 0) return [];
    return this.order.filter((n) => (this.unhintedCount.get(n) ?? 0) > 0);
  }

  private remove(key: string): void {
    const p = this.byKey.get(key);
    if (p === undefined) return;
    this.byKey.delete(key);
    if (this.keyById.get(p.id) === key) this.keyById.delete(p.id);
    if (!p.unhinted) return;
    const n = (this.unhintedCount.get(p.runtime) ?? 1) - 1;
    if (n > 0) this.unhintedCount.set(p.runtime, n);
    else this.unhintedCount.delete(p.runtime);
  }
}

/** The view route() reads: placements, and the image lookups' recent resolutions. */
export function podView(placements: PodPlacements, resolved: PodView["resolved"]): PodView {
  return { runtimeOf: (key) => placements.runtimeOf(key), unhinted: () => placements.unhinted(), resolved };
}
