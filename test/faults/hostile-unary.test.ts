// An ill-behaved runtime answering a call that is routed to it alone (PodSandboxStatus by id,
// and Version on the primary): kubelet gets a clear gRPC error with a fitting code, naming the
// runtime, promptly (or at its own deadline when the runtime stalls), and the proxy lives on.
import { missing } from "../support/requires.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hostileCases } from "../support/hostile-runtime/behaviour.ts";
import { pathOf } from "../support/hostile-runtime/cri-answers.ts";
import {
  describeOutcome,
  expectContained,
  expectOutcome,
  provoke,
  record,
  STALL_DEADLINE_MS,
} from "../support/hostile-runtime/provoke.ts";
import { startTopology, type Position, type Topology } from "../support/hostile-runtime/topology.ts";

const calls: { position: Position; method: "PodSandboxStatus" | "Version" }[] = [
  { position: "named", method: "PodSandboxStatus" },
  { position: "primary", method: "PodSandboxStatus" },
  { position: "primary", method: "Version" },
];

for (const { position, method } of calls) {
  describe.skipIf(missing("node"))(`hostile runtime as ${position}: ${method} routed to it alone`, () => {
    let topo: Topology;
    beforeAll(async () => {
      topo = await startTopology(position);
    }, 30_000);
    afterAll(() => topo?.stop());

    for (const c of hostileCases()) {
      test(`${c.name} -> ${describeOutcome(c.alone.codes)}`, async () => {
        const deadline = c.alone.stall ? STALL_DEADLINE_MS : 10_000;
        const kubelet = topo.kubelet(deadline);
        try {
          const request = method === "Version" ? {} : { podSandboxId: topo.hostilePods[0] };
          const seen = await provoke(topo, pathOf(method), c.behaviour, () =>
            kubelet.call<Record<string, any>>(method, request),
          );
          record({ kind: method, position, name: c.name, seen, expected: describeOutcome(c.alone.codes) });
          expectOutcome(seen, c.alone, topo.label, deadline);
          if (seen.code === 0) {
            // What the runtime answered, as kubelet must see it.
            if (method === "Version") expect(seen.result!.runtimeName).toBe("hostile");
            else expect(seen.result!.status.id).toBe(topo.hostilePods[0]);
          }
          expectContained(seen);
        } finally {
          kubelet.close();
          await topo.recover();
        }
      }, 30_000);
    }
  });
}
