// An ill-behaved runtime in a merged list (ListPodSandbox, ListContainers, unfiltered). As the
// named runtime, any failure at any point of its answer costs kubelet nothing: the call is OK,
// with the primary's objects and its last-known ones, a stall cut off by its budget. As the
// primary, kubelet gets the clear error the call would get from it alone.
import { missing } from "../support/requires.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hostileCase, hostileCases, type HostileCase } from "../support/hostile-runtime/behaviour.ts";
import { pathOf } from "../support/hostile-runtime/cri-answers.ts";
import {
  BUDGET_BOUND_MS,
  describeOutcome,
  expectContained,
  expectOutcome,
  PROMPT_MS,
  provoke,
  record,
  STALL_DEADLINE_MS,
} from "../support/hostile-runtime/provoke.ts";
import { waitFor } from "../support/wait.ts";
import {
  listedContainers,
  listedPods,
  startTopology,
  type Position,
  type Topology,
} from "../support/hostile-runtime/topology.ts";

type ListMethod = "ListPodSandbox" | "ListContainers";

/** ListContainers runs a sample of the faults: its path through the proxy is ListPodSandbox's. */
const SAMPLE = [
  "reset INTERNAL_ERROR after-data",
  "stall after-data",
  "garbage message",
  "oversize message",
  "trailers-only Unknown",
  "GOAWAY after-data",
  "connection closed after-data",
];
const lists: [ListMethod, HostileCase[]][] = [
  ["ListPodSandbox", hostileCases()],
  ["ListContainers", SAMPLE.map(hostileCase)],
];

for (const position of ["named", "primary"] as Position[]) {
  describe.skipIf(missing("node"))(`hostile runtime as ${position}: merged lists`, () => {
    let topo: Topology;
    beforeAll(async () => {
      topo = await startTopology(position);
    }, 30_000);
    afterAll(() => topo?.stop());

    for (const [method, cases] of lists) {
      for (const c of cases) {
        const expected = position === "named" ? "OK, every object" : describeOutcome(c.alone.codes);
        test(`${method}, ${c.name} -> ${expected}`, async () => {
          // kubelet's relist deadline is long; a stalled primary is ended by a short one.
          const deadline = position === "primary" && c.alone.stall ? STALL_DEADLINE_MS : 10_000;
          const kubelet = topo.kubelet(deadline);
          try {
            const list = method === "ListPodSandbox" ? listedPods : listedContainers;
            const seen = await provoke(topo, pathOf(method), c.behaviour, () => list(kubelet));
            record({ kind: method, position, name: c.name, seen, expected });
            const all =
              method === "ListPodSandbox"
                ? [...topo.fakePods, ...topo.hostilePods]
                : [...topo.fakeContainers, ...topo.hostileContainers];
            if (position === "named") {
              expect(seen.code, `gRPC code (message: ${seen.details})`).toBe(0);
              // It answered a moment ago (within --stale-grace): its objects are still listed.
              expect([...seen.result!].sort()).toEqual(all.sort());
              expect(seen.ms).toBeLessThan(c.alone.stall ? BUDGET_BOUND_MS : PROMPT_MS);
            } else {
              expectOutcome(seen, c.alone, topo.label, deadline);
              if (seen.code === 0) expect([...seen.result!].sort()).toEqual(all.sort());
            }
            expectContained(seen);
          } finally {
            kubelet.close();
            await topo.recover();
          }
        }, 30_000);
      }
    }
  });
}

// Last-known objects stand in only for a runtime that answered before, within --stale-grace.
describe.skipIf(missing("node"))("hostile named runtime with no last-known list", () => {
  const faults = ["reset INTERNAL_ERROR after-data", "garbage message", "stall after-data"];
  for (const name of faults) {
    const c = hostileCase(name);
    test(`never answered ListPodSandbox, ${name} -> OK with the primary's pods only`, async () => {
      const topo = await startTopology("named", {
        warm: false,
        before: (h) => h.behave(pathOf("ListPodSandbox"), c.behaviour),
      });
      const kubelet = topo.kubelet(10_000);
      try {
        // Asked of the named runtime once the proxy has it ready, not skipped while it connects.
        await waitFor(
          async () => (await kubelet.call("PodSandboxStatus", { podSandboxId: topo.hostilePods[0] }), true),
          10_000,
          "vm routed to",
        );
        const seen = await provoke(topo, pathOf("ListPodSandbox"), c.behaviour, () => listedPods(kubelet));
        record({
          kind: "ListPodSandbox (never answered)",
          position: "named",
          name,
          seen,
          expected: "OK, primary's only",
        });
        expect(seen.code, `gRPC code (message: ${seen.details})`).toBe(0);
        expect([...seen.result!].sort()).toEqual([...topo.fakePods].sort());
        expect(seen.ms).toBeLessThan(c.alone.stall ? BUDGET_BOUND_MS : PROMPT_MS);
        expectContained(seen);
      } finally {
        kubelet.close();
        await topo.stop();
      }
    }, 30_000);
  }

  test("answered longer ago than --stale-grace, then resets mid-answer -> OK with the primary's pods only", async () => {
    const topo = await startTopology("named", { proxyArgs: ["--stale-grace", "1s"] });
    const kubelet = topo.kubelet(10_000);
    try {
      await Bun.sleep(1500);
      const seen = await provoke(
        topo,
        pathOf("ListPodSandbox"),
        hostileCase("reset INTERNAL_ERROR after-data").behaviour,
        () => listedPods(kubelet),
      );
      record({
        kind: "ListPodSandbox (stale-grace over)",
        position: "named",
        name: "reset INTERNAL_ERROR after-data",
        seen,
        expected: "OK, primary's only",
      });
      expect(seen.code, `gRPC code (message: ${seen.details})`).toBe(0);
      expect([...seen.result!].sort()).toEqual([...topo.fakePods].sort());
      expect(seen.ms).toBeLessThan(PROMPT_MS);
      expectContained(seen);
    } finally {
      kubelet.close();
      await topo.stop();
    }
  }, 30_000);
});
