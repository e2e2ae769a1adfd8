// A small seeded PRNG (mulberry32) and byte mutations: every fuzz input follows from its seed.

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Buffer;
  /** A 32-bit seed for a nested generator (fast-check). */
  u32(): number;
}

/** A generator from a 32-bit seed. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)],
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => int(256))),
    u32: () => int(0x1_0000_0000),
  };
}

/** The seed of input `index` of a run: each input can be replayed alone. */
export function inputSeed(runSeed: number, index: number): number {
  return (Math.imul(runSeed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

/** 1-4 random edits of `bytes`: bit flips, byte sets, inserts, deletes, duplicated or cut ranges. */
export function mutateBytes(rng: Rng, bytes: Uint8Array): Buffer {
  let b = Buffer.from(bytes);
  const edits = 1 + rng.int(4);
  for (let i = 0; i < edits; i++) {
    const at = b.length === 0 ? 0 : rng.int(b.length);
    switch (rng.int(6)) {
      case 0:
        if (b.length) b[at] ^= 1 << rng.int(8);
        break;
      case 1:
        if (b.length) b[at] = rng.pick([0, 0x7f, 0x80, 0xff, rng.int(256)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.int(8)), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(8))]);
        break;
      case 4: {
        const len = 1 + rng.int(16);
        b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
        break;
      }
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}
