// An ill-behaved runtime in GetContainerEvents, which kubelet keeps open for as long as it runs.
// A named runtime failing in any way (or answering Unimplemented) must not end kubelet's event
// stream: the primary's events keep arriving. The primary failing ends it with the primary's
// status, promptly, so kubelet subscribes again. A stall is a quiet runtime, not a failure.
import { missing } from "../support/requires.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { ContainerEventResponseSchema, ContainerEventType } from "../../src/gen/runtime/v1/api_pb.ts";
import { hostileCases, type Outcome } from "../support/hostile-runtime/behaviour.ts";
import { pathOf } from "../support/hostile-runtime/cri-answers.ts";
import {
  describeOutcome,
  expectContained,
  expectOutcome,
  provoke,
  record,
} from "../support/hostile-runtime/provoke.ts";
import { NAMED, startTopology, type Position, type Topology } from "../support/hostile-runtime/topology.ts";
import { waitFor } from "../support/wait.ts";

const EVENTS = pathOf("GetContainerEvents");
/** Time for the fault to happen after the runtime got the call (its scripted beat is 30 ms). */
const FAULT_MS = 150;
/** A fault that ends the runtime's stream is seen to end it before the fake's event (stalls wait this out). */
const ENDED_MS = 1000;
/** How long the fake's event may take to reach kubelet through the proxy. */
const DELIVERY_MS = 2000;
let serial = 0;

/**
 * Opens kubelet's event stream; once the hostile runtime got its call and had time to fail,
 * the fake emits an event. Resolves when kubelet got it (stream still open, then cancelled),
 * rejects with the stream's error if it ended first.
 */
async function eventsSurvive(topo: Topology): Promise<string[]> {
  const kubelet = topo.kubelet(30_000);
  const stream = kubelet.stream<{ containerId: string }>("GetContainerEvents");
  const seen: string[] = [];
  let ended: unknown;
  const reading = (async () => {
    for await (const e of stream) seen.push(e.containerId);
    throw new Error("kubelet's event stream ended with OK");
  })().catch((e) => {
    ended ??= e;
    throw e;
  });
  reading.catch(() => {}); // once kubelet cancels, the end of the reading is no news
  try {
    const before = await topo.hostile.count(EVENTS);
    const opened = (async () => {
      await waitFor(
        async () => (await topo.hostile.count(EVENTS)) > before && topo.fake.eventSubscribers > 0,
        5000,
        "both runtimes asked for events",
      );
      await Bun.sleep(FAULT_MS);
      await waitFor(async () => (await topo.hostile.stats()).open === 0, ENDED_MS).catch(() => {});
      if (ended) return;
      const id = `fake-event-${++serial}`;
      topo.fake.emit(
        create(ContainerEventResponseSchema, {
          containerId: id,
          containerEventType: ContainerEventType.CONTAINER_STARTED_EVENT,
          createdAt: 1n,
        }),
      );
      const asSeen = topo.position === "primary" ? `${NAMED}__${id}` : id;
      await waitFor(() => ended !== undefined || seen.includes(asSeen), DELIVERY_MS, `event ${asSeen} reached kubelet`);
    })();
    await Promise.race([reading, opened]);
    if (ended) throw ended;
    return seen;
  } finally {
    stream.cancel();
    kubelet.close();
  }
}

/** What kubelet's event stream must do when the hostile runtime behaves so. */
function eventsOutcome(position: Position, alone: Outcome): Outcome {
  const survives: Outcome = { codes: [0], namesRuntime: false, stall: false };
  if (position === "named") return survives;
  return alone.stall ? survives : alone;
}

for (const position of ["named", "primary"] as Position[]) {
  describe.skipIf(missing("node"))(`hostile runtime as ${position}: GetContainerEvents`, () => {
    let topo: Topology;
    beforeAll(async () => {
      topo = await startTopology(position);
      // Behaving, its events reach kubelet with the rest.
      const seen = await eventsSurvive(topo);
      const prefix = position === "named" ? `${NAMED}__` : "";
      expect(seen).toEqual(expect.arrayContaining(topo.world.eventContainers.map((id) => prefix + id)));
      await topo.recover();
    }, 30_000);
    afterAll(() => topo?.stop());

    for (const c of hostileCases()) {
      const outcome = eventsOutcome(position, c.alone);
      const expected =
        outcome.codes.includes(0 as never) && outcome.codes.length === 1
          ? "stream goes on"
          : `ends ${describeOutcome(outcome.codes)}`;
      test(`${c.name} -> ${expected}`, async () => {
        try {
          const seen = await provoke(topo, EVENTS, c.behaviour, () => eventsSurvive(topo));
          record({ kind: "GetContainerEvents", position, name: c.name, seen, expected });
          // A surviving stream was cancelled by kubelet after the event: its time says nothing.
          expectOutcome(seen.code === 0 ? { ...seen, ms: 0 } : seen, outcome, topo.label, 0);
          expectContained(seen);
        } finally {
          await topo.recover();
        }
      }, 40_000);
    }
  });
}
