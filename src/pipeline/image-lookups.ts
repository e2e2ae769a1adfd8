// Where bare image names were just resolved for pods whose image-user lookup has not come yet, so
// that lookup, which names no pod, is answered for the runtime its pod's presence check or pull
// used (core/image-lookup.ts decides); and which runtimes held a name when a presence check
// answered "absent", so that the pull it causes is answered from what the pod's runtime holds,
// without a registry. Names are kept as kubelet resolves them (core imageKey: `:latest` added).
import { imageKey } from "../core/image-lookup.ts";
import type { Resolution } from "../core/pod-placement.ts";

/** How long a resolution waits for its image-user lookup: kubelet asks right after the presence check or the pull. */
export const RESOLVED_MS = 60_000;
/** The most names remembered; the oldest go first. */
export const MAX_NAMES = 4096;

interface Entry extends Resolution {
  /** Pods waiting for their image-user lookup. */
  readonly count: number;
  readonly at: number;
}

/** Pending resolutions and pull tokens, by image name. */
export class ImageLookups {
  private readonly pending = new Map<string, Entry[]>();
  private readonly tokens = new Map<string, { runtimes: Set<string>; at: number }>();
  /** Names whose pods were told to retry, and when. */
  private readonly contestedAt = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A pod resolved the name on `runtime` to `id` (undefined: the primary answered, unread); its image-user lookup is to come. */
  note(image: string, runtime: string, id: string | undefined): void {
    const key = imageKey(image);
    const now = this.now();
    const live = this.live(key, now);
    const had = live.find((e) => e.runtime === runtime);
    // Another image under that name on that runtime now: the older resolutions name an image it no longer holds.
    const same = had !== undefined && (had.id === id || id === undefined || had.id === undefined);
    const entry: Entry = { runtime, id: id ?? had?.id, count: same ? had.count + 1 : 1, at: now };
    this.pending.delete(key); // re-insert: Map order is oldest first
    this.pending.set(key, [...live.filter((e) => e !== had), entry]);
    trim(this.pending);
  }

  /** Resolutions of the name still waiting for their image-user lookup, oldest first. */
  resolved(image: string): readonly Resolution[] {
    if (this.pending.size === 0) return [];
    return this.live(imageKey(image), this.now());
  }

  /** Whether pods of that name were told to retry within the window (one of them may be the one asking). */
  contested(image: string): boolean {
    if (this.contestedAt.size === 0) return false;
    const key = imageKey(image);
    const at = this.contestedAt.get(key);
    if (at !== undefined && this.now() - at > RESOLVED_MS) this.contestedAt.delete(key);
    return at !== undefined && this.now() - at <= RESOLVED_MS;
  }

  /** An image-user lookup answered one pod waiting on each of `runtimes` (all: gave every such pod up, and the name is contested). */
  settle(image: string, runtimes: readonly string[], all = false): void {
    const key = imageKey(image);
    if (all) {
      this.contestedAt.delete(key);
      this.contestedAt.set(key, this.now());
      trim(this.contestedAt);
    }
    const entries = this.pending.get(key);
    if (entries === undefined) return;
    const left = entries.flatMap((e) =>
      !runtimes.includes(e.runtime) ? [e] : all || e.count <= 1 ? [] : [{ ...e, count: e.count - 1 }],
    );
    if (left.length === 0) this.pending.delete(key);
    else this.pending.set(key, left);
  }

  /** A presence check answered "absent" while `holders` had the name: each may answer one pull of it from what it holds. */
  absent(image: string, holders: readonly string[]): void {
    if (holders.length === 0) return;
    const key = imageKey(image);
    this.tokens.delete(key);
    this.tokens.set(key, { runtimes: new Set(holders), at: this.now() });
    trim(this.tokens);
  }

  /** Whether a pull of the name on `runtime` follows an "absent" that runtime did not deserve; uses the token up. */
  takeToken(image: string, runtime: string): boolean {
    const key = imageKey(image);
    const t = this.tokens.get(key);
    if (t === undefined || this.now() - t.at > RESOLVED_MS || !t.runtimes.delete(runtime)) return false;
    if (t.runtimes.size === 0) this.tokens.delete(key);
    return true;
  }

  private live(key: string, now: number): Entry[] {
    const all = this.pending.get(key);
    if (all === undefined) return [];
    const live = all.filter((e) => now - e.at <= RESOLVED_MS);
    if (live.length === 0) this.pending.delete(key);
    return live;
  }
}

function trim<V>(m: Map<string, V>): void {
  while (m.size > MAX_NAMES) m.delete(m.keys().next().value!);
}
