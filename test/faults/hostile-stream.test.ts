// An ill-behaved runtime in a Stream* fan-in (StreamPodSandboxes, unfiltered). kubelet collects
// the whole stream and reads it as the truth of what exists, so a named runtime's part must
// never be cut short: kubelet gets OK with every primary pod and either all of the named
// runtime's pods (its complete or last-known part) or none of them (left out) - never some.
// The chosen expectation for a named runtime that fails after some of its messages: those
// messages must not have been passed on (the fan-in holds a named part until it is complete).
import { missing } from "../support/requires.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hostileCases } from "../support/hostile-runtime/behaviour.ts";
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
import { sameIds, startTopology, type Position, type Topology } from "../support/hostile-runtime/topology.ts";
import type { CriClient } from "../support/grpc-client.ts";

/** Every pod id of a StreamPodSandboxes call, in arrival order. */
async function streamedPods(kubelet: CriClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const m of kubelet.stream<{ podSandboxes: { id: string }[] }>("StreamPodSandboxes"))
    ids.push(...m.podSandboxes.map((p) => p.id));
  return ids;
}

for (const position of ["named", "primary"] as Position[]) {
  describe.skipIf(missing("node"))(`hostile runtime as ${position}: StreamPodSandboxes`, () => {
    let topo: Topology;
    beforeAll(async () => {
      topo = await startTopology(position);
      // The stream answers both runtimes' pods when nobody misbehaves.
      const kubelet = topo.kubelet();
      try {
        expect((await streamedPods(kubelet)).sort()).toEqual([...topo.fakePods, ...topo.hostilePods].sort());
      } finally {
        kubelet.close();
      }
    }, 30_000);
    afterAll(() => topo?.stop());

    for (const c of hostileCases()) {
      const expected = position === "named" ? "OK, its part whole or absent" : describeOutcome(c.alone.codes);
      test(`${c.name} -> ${expected}`, async () => {
        const deadline = position === "primary" && c.alone.stall ? STALL_DEADLINE_MS : 10_000;
        const kubelet = topo.kubelet(deadline);
        try {
          const seen = await provoke(topo, pathOf("StreamPodSandboxes"), c.behaviour, () => streamedPods(kubelet));
          record({ kind: "StreamPodSandboxes", position, name: c.name, seen, expected });
          if (position === "named") {
            expect(seen.code, `gRPC code (message: ${seen.details})`).toBe(0);
            const pods = seen.result!;
            expect(pods.filter((id) => !topo.hostilePods.includes(id)).sort()).toEqual([...topo.fakePods].sort());
            const hostile = pods.filter((id) => topo.hostilePods.includes(id));
            const part =
              hostile.length === 0
                ? "none"
                : sameIds(hostile, topo.hostilePods)
                  ? "all"
                  : `${hostile.length} of ${topo.hostilePods.length}`;
            expect(part, "the named runtime's pods kubelet got").toBeOneOf(["none", "all"]);
            expect(seen.ms).toBeLessThan(c.alone.stall ? BUDGET_BOUND_MS : PROMPT_MS);
          } else {
            expectOutcome(seen, c.alone, topo.label, deadline);
            if (seen.code === 0)
              expect([...seen.result!].sort()).toEqual([...topo.fakePods, ...topo.hostilePods].sort());
          }
          expectContained(seen);
        } finally {
          kubelet.close();
          await topo.recover();
        }
      }, 40_000);
    }
  });
}
