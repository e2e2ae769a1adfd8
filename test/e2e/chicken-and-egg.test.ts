// The chicken-and-egg: a named runtime that is absent at start, appears, vanishes and returns,
// while kubelet keeps listing. Its pods must never vanish from lists while it merely restarts.
import { expect, test } from "bun:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { criClient } from "../support/grpc-client.ts";
import { startProxy } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { codeOf, waitFor } from "../support/wait.ts";

test("vm appears late, vanishes (its pods stay listed), returns; after the grace its pods go", async () => {
  const primary = await startFakeRuntime({ socket: tempSocket("ce-primary"), pods: 2 });
  const vmSocket = tempSocket("ce-vm");
  let vm: FakeRuntime | undefined;
  const proxy = await startProxy(["--connect", `${primary.socket},vm:${vmSocket}`, "--stale-grace", "3s", "-v", "2"]);
  const kubelet = criClient(proxy.socket);
  const ids = async () => (await kubelet.call<{ items: { id: string }[] }>("ListPodSandbox")).items.map((p) => p.id);
  try {
    // Absent at start: the proxy serves, lists have the primary's pods, calls naming vm fail fast.
    expect((await ids()).length).toBe(2);
    const started = Date.now();
    const r = await codeOf(kubelet.call("PodSandboxStatus", { podSandboxId: "vm__abc" }));
    expect(r.code).toBe(grpcStatus.UNAVAILABLE);
    expect(r.details).toContain("vm");
    expect(Date.now() - started).toBeLessThan(6000);
    const s = await kubelet.call<{ status: { conditions: { type: string; status: boolean }[] } }>("Status");
    expect(s.status.conditions.every((c) => c.status)).toBe(true); // an absent vm does not make the node NotReady

    // It appears: routed to within seconds.
    vm = await startFakeRuntime({ socket: vmSocket, pods: 1 });
    await waitFor(async () => (await ids()).length === 3);
    const vmPods = (await ids()).filter((id) => id.startsWith("vm__"));
    expect(vmPods.length).toBe(1);

    // It vanishes: its pod stays in the list, from memory.
    await vm.stop();
    vm = undefined;
    for (let i = 0; i < 10; i++) {
      expect(await ids()).toEqual(expect.arrayContaining(vmPods));
      await Bun.sleep(100);
    }
    expect(proxy.log()).toContain("runtime vm: its pods are served from memory");

    // It returns: live answers replace the memory (a new pod shows).
    vm = await startFakeRuntime({ socket: vmSocket, pods: 2 });
    await waitFor(async () => (await ids()).filter((id) => id.startsWith("vm__")).length === 2);

    // Gone for longer than --stale-grace: its pods leave the list.
    await vm.stop();
    vm = undefined;
    await waitFor(async () => (await ids()).length === 2, 10_000);
  } finally {
    kubelet.close();
    await proxy.stop();
    await primary.stop();
    await vm?.stop();
  }
}, 30_000);

test("a named runtime's event stream rejoins kubelet's stream when it returns", async () => {
  const primary = await startFakeRuntime({ socket: tempSocket("ev-primary") });
  const vmSocket = tempSocket("ev-vm");
  let vm = await startFakeRuntime({ socket: vmSocket });
  const proxy = await startProxy(["--connect", `${primary.socket},vm:${vmSocket}`]);
  const kubelet = criClient(proxy.socket);
  const events = kubelet.stream<{ containerId: string }>("GetContainerEvents");
  const seen: string[] = [];
  const reading = (async () => {
    for await (const e of events) seen.push(e.containerId);
  })();
  try {
    await waitFor(() => primary.eventSubscribers > 0 && vm.eventSubscribers > 0);
    vm.emit({ containerId: "before", containerEventType: 0, createdAt: 1n, containersStatuses: [] } as never);
    await waitFor(() => seen.includes("vm__before"));
    await vm.stop();
    primary.emit({ containerId: "while-gone", containerEventType: 0, createdAt: 2n, containersStatuses: [] } as never);
    await waitFor(() => seen.includes("while-gone")); // kubelet's stream goes on
    vm = await startFakeRuntime({ socket: vmSocket });
    await waitFor(() => vm.eventSubscribers > 0);
    vm.emit({ containerId: "after", containerEventType: 0, createdAt: 3n, containersStatuses: [] } as never);
    await waitFor(() => seen.includes("vm__after"));
  } finally {
    events.cancel();
    await reading.catch(() => {});
    kubelet.close();
    await proxy.stop();
    await primary.stop();
    await vm.stop();
  }
}, 30_000);
