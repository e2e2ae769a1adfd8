// The proxy's garbage is mostly the buffers runtime answers arrive in (a 900 kB list per
// relist, 300 of them a second under load). JSC lets that garbage pile up well past what
// is live (a merging proxy's high-water reached ~240 MB at c16 for ~20 MB live), so a full
// collection runs after every GC_EVERY_BYTES taken by calls, once after a busy spell goes
// quiet, and once after that many held bytes are let go (stuck readers gone), so the
// resident size falls back without waiting for the next load.
import type { ByteBudget } from "../grpc/byte-budget.ts";

/** Measured on the bench's merged c16 cell: every 16 MiB held the high-water near 115 MB at no measurable CPU cost (8 MiB: 107 MB, +30% CPU). */
export const GC_EVERY_BYTES = 16 * 1024 * 1024;
const QUIET_MS = 1000;

/** Paces full collections by the bytes calls take and let go; returns a function that stops it. */
export function paceCollections(budget: ByteBudget, collect: () => void = () => Bun.gc(true)): () => void {
  let scheduled = false;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let heldAtGc = budget.used;
  const run = () => {
    scheduled = false;
    heldAtGc = budget.used;
    collect();
  };
  budget.onVolume(GC_EVERY_BYTES, () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(run); // after the current read is handled, not inside it
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
