// Collections paced by traffic: above the soft limit, one per GC_EVERY_BYTES taken; below it,
// none while busy; always one when a busy spell goes quiet.
import { expect, test } from "bun:test";
import { GC_EVERY_BYTES, paceCollections, RSS_SOFT_LIMIT } from "../../src/daemon/gc-pacer.ts";
import { ByteBudget } from "../../src/grpc/byte-budget.ts";

test("above the soft limit a collection follows every GC_EVERY_BYTES (at most every 100 ms); below it, only the quiet one", async () => {
  const budget = new ByteBudget(1e12);
  let collections = 0;
  let rss = RSS_SOFT_LIMIT + 1;
  const stop = paceCollections(
    budget,
    () => void collections++,
    () => rss,
  );
  try {
    const ledger = budget.ledger();
    for (let i = 0; i < 4; i++) ledger.take(GC_EVERY_BYTES, "x"), await Bun.sleep(120);
    expect(collections).toBe(4);
    for (let i = 0; i < 4; i++) ledger.take(GC_EVERY_BYTES, "x"), await Bun.sleep(0);
    expect(collections).toBe(5); // four in a burst: one (at most one per 100 ms)
    await Bun.sleep(120);
    rss = RSS_SOFT_LIMIT - 1;
    for (let i = 0; i < 4; i++) ledger.take(GC_EVERY_BYTES, "x"), await Bun.sleep(0);
    expect(collections).toBe(5);
    await Bun.sleep(1100); // quiet: one more, whatever the size
    expect(collections).toBe(6);
    ledger.release();
  } finally {
    stop();
  }
});
