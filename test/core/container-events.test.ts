// Events for a runtime without them: what one listing to the next says happened.
import { describe, expect, test } from "bun:test";
import { containerPhase, eventsBetween, sandboxPhase, type Phase, type Seen } from "../../src/core/container-events.ts";
import { ContainerEventType as T, ContainerState, PodSandboxState } from "../../src/gen/runtime/v1/api_pb.ts";

const listing = (...items: [id: string, phase: Phase, sandbox?: string][]) =>
  new Map<string, Seen>(items.map(([id, phase, sandbox = "p1"]) => [id, { id, sandbox, phase }]));
const types = (before: Map<string, Seen> | undefined, after: Map<string, Seen>) =>
  eventsBetween(before, after).map((e) => `${e.id}:${T[e.type]}`);

describe("eventsBetween", () => {
  test.each<{ desc: string; before: Map<string, Seen> | undefined; after: Map<string, Seen>; expect: string[] }>([
    {
      desc: "the first listing is the baseline: no events",
      before: undefined,
      after: listing(["c1", "running"]),
      expect: [],
    },
    {
      desc: "nothing changed: no events",
      before: listing(["c1", "running"]),
      after: listing(["c1", "running"]),
      expect: [],
    },
    {
      desc: "a new created container",
      before: listing(),
      after: listing(["c1", "created"]),
      expect: ["c1:CONTAINER_CREATED_EVENT"],
    },
    {
      desc: "a new running container: created, then started",
      before: listing(),
      after: listing(["c1", "running"]),
      expect: ["c1:CONTAINER_CREATED_EVENT", "c1:CONTAINER_STARTED_EVENT"],
    },
    {
      desc: "a container that came and exited between two listings: created, then stopped",
      before: listing(),
      after: listing(["c1", "exited"]),
      expect: ["c1:CONTAINER_CREATED_EVENT", "c1:CONTAINER_STOPPED_EVENT"],
    },
    {
      desc: "created -> running: started",
      before: listing(["c1", "created"]),
      after: listing(["c1", "running"]),
      expect: ["c1:CONTAINER_STARTED_EVENT"],
    },
    {
      desc: "running -> exited: stopped",
      before: listing(["c1", "running"]),
      after: listing(["c1", "exited"]),
      expect: ["c1:CONTAINER_STOPPED_EVENT"],
    },
    {
      desc: "created -> exited (failed to start): stopped",
      before: listing(["c1", "created"]),
      after: listing(["c1", "exited"]),
      expect: ["c1:CONTAINER_STOPPED_EVENT"],
    },
    {
      desc: "gone: deleted",
      before: listing(["c1", "exited"]),
      after: listing(),
      expect: ["c1:CONTAINER_DELETED_EVENT"],
    },
    {
      desc: "an unknown state says nothing",
      before: listing(["c1", "running"]),
      after: listing(["c1", "unknown"]),
      expect: [],
    },
    {
      desc: "exited never runs again",
      before: listing(["c1", "exited"]),
      after: listing(["c1", "running"]),
      expect: [],
    },
    {
      desc: "several at once, in listing order, deletions last",
      before: listing(["a", "running"], ["b", "created"]),
      after: listing(["b", "running"], ["c", "created"]),
      expect: ["b:CONTAINER_STARTED_EVENT", "c:CONTAINER_CREATED_EVENT", "a:CONTAINER_DELETED_EVENT"],
    },
  ])("$desc", ({ before, after, expect: want }) => {
    expect(types(before, after)).toEqual(want);
  });

  test("objects are matched by their listing key: a sandbox and a container of the same id stay apart", () => {
    const before = new Map<string, Seen>([["s:x", { id: "x", sandbox: "x", phase: "running" }]]);
    const after = new Map<string, Seen>([
      ["s:x", { id: "x", sandbox: "x", phase: "running" }],
      ["c:x", { id: "x", sandbox: "x", phase: "created" }],
    ]);
    expect(types(before, after)).toEqual(["x:CONTAINER_CREATED_EVENT"]);
  });

  test("each event names its pod", () => {
    expect(eventsBetween(listing(), listing(["c1", "created", "pod-7"]))).toEqual([
      { id: "c1", sandbox: "pod-7", type: T.CONTAINER_CREATED_EVENT },
    ]);
  });
});

describe("phases", () => {
  test("containers by CRI state", () => {
    expect(
      [
        ContainerState.CONTAINER_CREATED,
        ContainerState.CONTAINER_RUNNING,
        ContainerState.CONTAINER_EXITED,
        ContainerState.CONTAINER_UNKNOWN,
      ].map(containerPhase),
    ).toEqual(["created", "running", "exited", "unknown"]);
  });
  test("a ready sandbox runs, a not-ready one has stopped (containerd sends sandboxes' events too)", () => {
    expect([PodSandboxState.SANDBOX_READY, PodSandboxState.SANDBOX_NOTREADY].map(sandboxPhase)).toEqual([
      "running",
      "exited",
    ]);
  });
});
