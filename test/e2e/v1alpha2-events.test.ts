// Events from a v1alpha2 named runtime: its container changes reach kubelet's
// GetContainerEvents, polled from its listings (v1alpha2 has no events).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { FakeRuntime } from "../../src/fake/runtime.ts";
import { ContainerEventType as E, ContainerState } from "../../src/gen/runtime/v1/api_pb.ts";
import type { CriClient } from "../support/grpc-client.ts";
import { startV1alpha2Node, type V1alpha2Node } from "../support/v1alpha2-node.ts";
import { waitFor } from "../support/wait.ts";

let node: V1alpha2Node;
let vm: FakeRuntime;
let kubelet: CriClient;
const ids = { pod: "", container: "", image: "", newPod: "", newContainer: "" };

beforeAll(async () => {
  node = await startV1alpha2Node();
  ({ vm, kubelet } = node);
  Object.assign(ids, node.ids);
});

afterAll(() => node?.stop());

const podConfig = (name: string) => ({
  metadata: { name, namespace: "default", uid: `uid-${name}`, attempt: 0 },
  annotations: { "kubernetes.io/target-runtime": "vm" },
});

describe("events: GetContainerEvents (Evented PLEG) and a runtime without them", () => {
  test("vm's container changes reach kubelet as events, with prefixed ids and the pod's whole status", async () => {
    const events = kubelet.stream<any>("GetContainerEvents", {});
    const got: any[] = [];
    const reading = (async () => {
      try {
        for await (const e of events) got.push(e);
      } catch {}
    })();
    // The first listing after the stream opened is the baseline events are diffed from.
    const listed = vm.calls.filter((c) => c.method === "ListContainers").length;
    await waitFor(
      () => vm.calls.filter((c) => c.method === "ListContainers").length > listed,
      5000,
      "vm listed for events",
    );
    const { podSandboxId } = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: podConfig("evented"),
    });
    const { containerId } = await kubelet.call<{ containerId: string }>("CreateContainer", {
      podSandboxId,
      config: { metadata: { name: "app" }, image: { image: ids.image } },
    });
    await kubelet.call("StartContainer", { containerId });
    await waitFor(
      () => got.some((e) => e.containerId === containerId && e.containerEventType === E.CONTAINER_STARTED_EVENT),
      5000,
      "vm's STARTED event",
    );
    await kubelet.call("StopContainer", { containerId, timeout: 0n });
    await waitFor(
      () => got.some((e) => e.containerId === containerId && e.containerEventType === E.CONTAINER_STOPPED_EVENT),
      5000,
      "vm's STOPPED event",
    );
    events.cancel();
    await reading;
    const started = got.find(
      (e) => e.containerId === containerId && e.containerEventType === E.CONTAINER_STARTED_EVENT,
    );
    // What kubelet's Evented PLEG caches as the pod's state: the sandbox's status and its containers'.
    expect(started.podSandboxStatus.id).toBe(podSandboxId);
    expect(started.podSandboxStatus.metadata.uid).toBe("uid-evented");
    expect(started.containersStatuses.map((s: any) => s.id)).toEqual([containerId]);
    expect(started.containersStatuses[0].state).toBe(ContainerState.CONTAINER_RUNNING);
    const stopped = got.find(
      (e) => e.containerId === containerId && e.containerEventType === E.CONTAINER_STOPPED_EVENT,
    );
    expect(stopped.containersStatuses[0].state).toBe(ContainerState.CONTAINER_EXITED);
    // The sandbox's own events, as containerd sends them.
    expect(got.filter((e) => e.containerId === podSandboxId).map((e) => e.containerEventType)).toEqual([
      E.CONTAINER_CREATED_EVENT,
      E.CONTAINER_STARTED_EVENT,
    ]);
    expect(vm.calls.some((c) => c.method === "GetContainerEvents")).toBe(false);
  }, 15_000);
});
