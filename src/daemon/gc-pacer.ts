// The proxy's garbage is mostly the buffers runtime answers arrive in (a 900 kB list per
// relist, 300 of them a second under load). JSC lets that garbage pile up well past what
// is live (a merging proxy's high-water reached ~240 MB at c16 for ~20 MB live), so a full
// collection runs after every GC_EVERY_BYTES taken by calls, and once after a busy spell
// goes quiet, so the resident size falls back without waiting for the next load.
import type { ByteBudget } from "../grpc/byte-budget.ts";

/** Measured on the bench's merged c16 cell: every 16 MiB held the high-water near 115 MB at no measurable CPU cost. */
export const GC_EVERY_BYTES = 16 * 1024 * 1024;
const QUIET_MS = 1000;

/** Paces full collections by the bytes calls take; returns a function that stops it. */
export function paceCollections(budget: ByteBudget, collect: () => void = () => Bun.gc(true)): () => void {
  let scheduled = false;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    scheduled = false;
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
  return () => clearTimeout(quiet);
}
