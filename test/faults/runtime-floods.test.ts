// Every HTTP/2 flood a runtime can send, from a named runtime's side (a hostile runtime criproxy
// dials, test/support/h2-peers/hostile-runtime.go; the proxy as a process), each for 2 s with a
// well-behaved grpc-go client calling the primary's Version every 100 ms beside it: the proxy's
// RSS stays within 32 MiB of its level before, the runtime's connection is closed within 1 s
// (GOAWAY ENHANCE_YOUR_CALM, logged once per connection with the runtime's name, and the next
// connection held back), and the good client gets every call answered with p99 under 50 ms
// (over its p99 with no flood, measured just before: on a machine shared with other work that
// alone can pass 50 ms).
// A runtime that stops reading is not closed (it owes criproxy nothing): criproxy's memory
// stays flat and the primary's calls go on. (bun bench/runtime-floods.ts prints the same as a table.)
import { expect, test } from "bun:test";
import { buildPeers } from "../support/floods.ts";
import { missing } from "../support/requires.ts";
import { RUNTIME_ATTACKS, runtimeFlood, type RuntimeFloodResult } from "../support/runtime-floods.ts";

const skip = missing("grpc-go");
const SECONDS = 2;

function expectPrimaryServed(r: RuntimeFloodResult) {
  expect(r.good.error).toBeUndefined();
  expect(r.good.calls).toBeGreaterThanOrEqual(SECONDS * 10 - 2);
  expect(r.good.ok).toBe(r.good.calls);
  expect(r.good.p99Ms).toBeLessThan(50 + r.quietP99Ms);
  expect(r.rssPeakMB - r.rssBeforeMB).toBeLessThanOrEqual(32);
}

test.skipIf(skip)(
  "the flood tools build",
  async () => {
    await buildPeers();
  },
  120_000,
);

test.skipIf(skip).each(RUNTIME_ATTACKS.filter((a) => a !== "stop-reading").map((a) => [a]))(
  "runtime vm floods with %s: its connection is closed within 1 s and said so, memory stays bounded, the primary's calls are served",
  async (attack) => {
    const r = await runtimeFlood(attack, SECONDS, 100);
    console.log(JSON.stringify({ ...r, logged: r.logged.length }));
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(0);
    expect(r.closedAfterMs).toBeLessThanOrEqual(1000);
    // Reconnections are held back after a flood: a few connections, not a loop.
    expect(r.connections).toBeLessThanOrEqual(4);
    expect(r.logged.length).toBeGreaterThan(0);
    expect(r.logged[0]).toContain("runtime vm (unix://");
    expectPrimaryServed(r);
  },
  30_000,
);

test.skipIf(skip)(
  "runtime vm stops reading (windows wide open, nothing read or answered): memory stays flat, the primary's calls are served",
  async () => {
    const r = await runtimeFlood("stop-reading", SECONDS, 100);
    console.log(JSON.stringify(r));
    expectPrimaryServed(r);
  },
  30_000,
);
