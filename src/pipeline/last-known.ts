// The last list answers of each named runtime, because kubelet reads a sandbox missing from
// ListPodSandbox as gone and replaces it. The policy (core/fan-out-policy.ts) decides when an
// entry may stand in; this only remembers, bounded in keys and bytes.

interface Entry {
  /** The runtime's own messages: an unchanged answer is not rewritten again. */
  readonly raw: readonly Uint8Array[];
  /** The messages as kubelet sees them (rewritten): a unary answer is one message, a Stream* list several. */
  readonly parts: readonly Uint8Array[];
  readonly bytes: number;
  readonly at: number;
}

/** How many distinct list requests (filters) are remembered per runtime. */
const MAX_KEYS = 64;
/** How many bytes (raw and rewritten) are remembered per runtime; the least recently answered go first. */
const MAX_BYTES = 48 * 1024 * 1024;

/** Last-known list answers, per runtime and request. */
export class LastKnown {
  private readonly entries = new Map<string, Map<string, Entry>>();
  /** Answers served from memory, for logs and metrics. */
  served = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Remembers a live answer of `backend` to the request `key`: its raw messages and their rewritten form. */
  put(backend: string, key: string, raw: readonly Uint8Array[], parts: readonly Uint8Array[]): void {
    let m = this.entries.get(backend);
    if (!m) this.entries.set(backend, (m = new Map()));
    m.delete(key); // re-insert: Map order is least recently answered first
    const bytes = sum(raw) + (parts === raw ? 0 : sum(parts));
    m.set(key, { raw, parts, bytes, at: this.now() });
    let total = 0;
    for (const e of m.values()) total += e.bytes;
    for (const [k, e] of m) {
      if (m.size <= MAX_KEYS && total <= MAX_BYTES) break;
      if (k === key) continue;
      m.delete(k);
      total -= e.bytes;
    }
  }

  /**
   * The rewritten form of `raw` if it is the same answer as last time (kubelet relists every
   * second and a runtime's list rarely changes between two relists), else undefined.
   */
  rewritten(backend: string, key: string, raw: readonly Uint8Array[]): readonly Uint8Array[] | undefined {
    const e = this.entries.get(backend)?.get(key);
    if (e === undefined || e.raw.length !== raw.length) return undefined;
    return e.raw.every((r, i) => Buffer.from(r.buffer, r.byteOffset, r.byteLength).equals(raw[i]))
      ? e.parts
      : undefined;
  }

  /** The remembered answer and its age, whatever its age (the policy decides whether it may stand in). */
  get(backend: string, key: string): { parts: readonly Uint8Array[]; ageMs: number } | undefined {
    const e = this.entries.get(backend)?.get(key);
    return e && { parts: e.parts, ageMs: this.now() - e.at };
  }

  /** Forgets one answer (expired). */
  forget(backend: string, key: string): void {
    this.entries.get(backend)?.delete(key);
  }

  /** Forgets a runtime (it was removed from the configuration). */
  drop(backend: string): void {
    this.entries.delete(backend);
  }

  /** Bytes remembered now, for metrics. */
  get bytes(): number {
    let total = 0;
    for (const m of this.entries.values()) for (const e of m.values()) total += e.bytes;
    return total;
  }
}

function sum(list: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of list) n += b.byteLength;
  return n;
}
