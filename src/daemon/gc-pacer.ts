// The proxy's garbage is mostly the buffers runtime answers arrive in (a 900 kB list per
// relist, 300 of them a second under load). JSC lets that garbage pile up well past what is
// live (a merging proxy's high-water reached ~240 MB at c16 for ~20 MB live), and a full
// collection costs ~8 ms. So: after every GC_EVERY_BYTES taken by calls, a full collection
// runs when the process is above RSS_SOFT_LIMIT, at most every MIN_GAP_MS; and one runs,
// whatever the size, once a busy spell goes quiet or many held bytes are let go (stuck readers
// gone), so the resident size falls back without waiting for the next load.
import type { ByteBudget } from "../grpc/byte-budget.ts";

/** Measured on the bench's list cells: with these, the high-water stays near 100-125 MB (no forced collection: ~150 MB at c16). */
export const GC_EVERY_BYTES = 8 * 1024 * 1024;
export const RSS_SOFT_LIMIT = 96 * 1024 * 1024;
const QUIET_MS = 1000;
/** At most ten paced collections a second: more bought little memory for much CPU (bench, merged c16: every 8 MiB with no gap 106 MB at 2.2 ms a call; 100 ms apart 125 MB at 1.6 ms; 250 ms apart 149 MB at 1.6 ms). */
const MIN_GAP_MS = 100;

/** Paces full collections by the bytes calls take and let go; returns a function that stops it. */
export function paceCollections(
  budget: ByteBudget,
  collect: () => void = () => Bun.gc(true),
  rss: () => number = () => process.memoryUsage.rss(),
): () => void {
  let scheduled = false;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let heldAtGc = budget.used;
  const run = () => {
    heldAtGc = budget.used;
    collect();
  };
  let lastPaced = -Infinity;
  const paced = () => {
    scheduled = false;
    const now = performance.now();
    if (now - lastPaced < MIN_GAP_MS || rss() <= RSS_SOFT_LIMIT) return;
    lastPaced = now;
    run();
  };
  budget.onVolume(GC_EVERY_BYTES, () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(paced); // after the current read is handled, not inside it
    }
    clearTimeout(quiet);
    quiet = setTimeout(run, QUIET_MS);
    quiet.unref?.();
  });
  // Bytes let go without new ones taken (calls that held much ended) leave nothing to pace by.
  const sweep = setInterval(() => {
    if (heldAtGc - budget.used >= GC_EVERY_BYTES) run();
    else heldAtGc = Math.max(heldAtGc, budget.used);
  }, QUIET_MS);
  sweep.unref?.();
  return () => (clearTimeout(quiet), clearInterval(sweep));
}
