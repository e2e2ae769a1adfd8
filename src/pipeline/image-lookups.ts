// Where bare image names were just resolved for pods, so that kubelet's image-user lookup, which
// names no pod, is answered for the runtime its pod's presence check or pull used a moment before
// (core/image-lookup.ts decides); and which runtimes held a name when a lookup answered "absent",
// so that the pull it causes is answered from what the pod's runtime holds, without a registry.
import type { Resolution } from "../core/pod-placement.ts";

/** How long a pod's resolution of a name counts: kubelet asks the image user right after its presence check or pull. */
export const RESOLVED_MS = 60_000;
/** How long the primary's unread answer to a lookup with no pod hint counts (the race of two pods starting at once). */
export const ASKED_MS = 10_000;
/** The most names remembered; the oldest go first. */
export const MAX_NAMES = 4096;

interface Entry extends Resolution {
  readonly at: number;
}

/** Recent resolutions and pull tokens, by bare image name. */
export class ImageLookups {
  private readonly resolutions = new Map<string, Entry[]>();
  private readonly tokens = new Map<string, { runtimes: Set<string>; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The name was resolved on `runtime` to `id` for a pod (id undefined: the primary answered without being read). */
  note(image: string, runtime: string, id: string | undefined): void {
    const now = this.now();
    const kept = this.live(image, now).filter((e) => e.runtime !== runtime);
    this.resolutions.delete(image); // re-insert: Map order is oldest first
    this.resolutions.set(image, [...kept, { runtime, id, at: now }]);
    trim(this.resolutions);
  }

  /** Recent resolutions of the name, oldest first. */
  resolved(image: string): readonly Resolution[] {
    if (this.resolutions.size === 0) return [];
    return this.live(image, this.now());
  }

  /** A lookup answered "absent" while `holders` had the name: each may answer one pull of it from what it holds. */
  absent(image: string, holders: readonly string[]): void {
    if (holders.length === 0) return;
    this.tokens.delete(image);
    this.tokens.set(image, { runtimes: new Set(holders), at: this.now() });
    trim(this.tokens);
  }

  /** Whether a pull of the name on `runtime` follows an "absent" that runtime did not deserve; uses the token up. */
  takeToken(image: string, runtime: string): boolean {
    const t = this.tokens.get(image);
    if (t === undefined || this.now() - t.at > RESOLVED_MS || !t.runtimes.delete(runtime)) return false;
    if (t.runtimes.size === 0) this.tokens.delete(image);
    return true;
  }

  private live(image: string, now: number): Entry[] {
    const all = this.resolutions.get(image);
    if (all === undefined) return [];
    const live = all.filter((e) => now - e.at <= (e.id === undefined ? ASKED_MS : RESOLVED_MS));
    if (live.length === 0) this.resolutions.delete(image);
    return live;
  }
}

function trim<V>(m: Map<string, V>): void {
  while (m.size > MAX_NAMES) m.delete(m.keys().next().value!);
}
