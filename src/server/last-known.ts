// The proxy's only state: the last list answers of each named runtime, kept for a grace
// period, because kubelet reads a sandbox missing from ListPodSandbox as gone and replaces it.

interface Entry {
  /** The answer as kubelet sees it (rewritten). */
  readonly part: Uint8Array;
  /** The runtime's own bytes it was made from: an unchanged answer is not rewritten again. */
  readonly raw: Uint8Array;
  readonly at: number;
}

/** How many distinct list requests (filters) are remembered per runtime. */
const MAX_KEYS = 32;

/** Last-known encoded (already rewritten) list answers, per runtime and request. */
export class LastKnown {
  private readonly entries = new Map<string, Map<string, Entry>>();
  /** Answers served from memory, for logs and metrics. */
  served = 0;

  constructor(
    /** How long a remembered answer may stand in (--stale-grace; a reload may change it). */
    public graceMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers a live answer of `backend` to the request `key`: its raw bytes and their rewritten form. */
  put(backend: string, key: string, raw: Uint8Array, part: Uint8Array): void {
    let m = this.entries.get(backend);
    if (!m) this.entries.set(backend, (m = new Map()));
    m.delete(key); // re-insert: Map order is least recently answered first
    m.set(key, { part, raw, at: this.now() });
    if (m.size > MAX_KEYS) m.delete(m.keys().next().value!);
  }

  /**
   * The rewritten form of `raw` if it is the same answer as last time (kubelet relists every
   * second and a runtime's list rarely changes between two relists), else undefined.
   */
  rewritten(backend: string, key: string, raw: Uint8Array): Uint8Array | undefined {
    const e = this.entries.get(backend)?.get(key);
    return e !== undefined && Buffer.from(e.raw.buffer, e.raw.byteOffset, e.raw.byteLength).equals(raw) ? e.part : undefined;
  }

  /** The remembered answer while within the grace period; undefined when none or expired. */
  get(backend: string, key: string): { part: Uint8Array; ageMs: number } | undefined {
    const e = this.entries.get(backend)?.get(key);
    if (!e) return undefined;
    const ageMs = this.now() - e.at;
    if (ageMs > this.graceMs) {
      this.entries.get(backend)!.delete(key);
      return undefined;
    }
    return { part: e.part, ageMs };
  }

  /** Forgets a runtime (it was removed from the configuration). */
  drop(backend: string): void {
    this.entries.delete(backend);
  }
}
