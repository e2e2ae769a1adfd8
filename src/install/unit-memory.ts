// The memory ceiling of criproxy.service. The unit keeps criproxy alive when the node is short of
// memory (OOMScoreAdjust=-999), so without a ceiling of its own a leak in criproxy would make
// the kernel kill pods, or kubelet, first. With one, the kernel reclaims and throttles criproxy
// past MemoryHigh= and kills it (only it: the OOM is its cgroup's) past MemoryMax=, and
// Restart=always brings it back in 2 s. The sizing is explained in README "Limits".

/** `--max-buffered-bytes`'s default (config/config.ts): the most bytes held for calls at once. */
const DEFAULT_BUFFERED = 512 * 1024 ** 2;
/**
 * Above the byte budget, what criproxy may hold legitimately: ~70 MB resident at rest, garbage
 * the collector has not reached yet (the stress bench's high-water was 187 MB), 16 MiB messages
 * copied once on their way, and each connection's bounded queues under a flood (the issue-17
 * bound: 32 MiB over the level before the attack). MemoryHigh= sits that far above the budget,
 * MemoryMax= twice as far.
 */
const HEADROOM = 256 * 1024 ** 2;

/** The bytes `--max-buffered-bytes` gives in `serveArgs` (its default when absent or unreadable here, e.g. set in --config). */
export function bufferedBytes(serveArgs: readonly string[]): number {
  for (const [i, a] of serveArgs.entries()) {
    const m = /^--?max-buffered-bytes(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const value = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec((m[1] ?? serveArgs[i + 1] ?? "").trim());
    if (!value) return DEFAULT_BUFFERED;
    const unit = { "": 1, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[value[2] ?? ""]!;
    return Math.max(Number(value[1]) * unit, 32 * 1024 ** 2);
  }
  return DEFAULT_BUFFERED;
}

/** MemoryHigh= and MemoryMax= for criproxy run with `serveArgs`, in MiB (systemd's M is 1024-based). */
export function memoryLimits(serveArgs: readonly string[]): { highMiB: number; maxMiB: number } {
  const budget = bufferedBytes(serveArgs);
  const mib = (n: number) => Math.ceil(n / 1024 ** 2);
  return { highMiB: mib(budget + HEADROOM), maxMiB: mib(budget + 2 * HEADROOM) };
}

/** The [Service] lines of the ceiling. */
export function unitMemory(serveArgs: readonly string[]): string {
  const { highMiB, maxMiB } = memoryLimits(serveArgs);
  return `# A ceiling the kernel honours (README "Limits"): throttled and reclaimed past MemoryHigh=,
# killed past MemoryMax= (its own cgroup's OOM, never a pod's) and restarted by Restart=always.
MemoryHigh=${highMiB}M
MemoryMax=${maxMiB}M
MemorySwapMax=0
`;
}
