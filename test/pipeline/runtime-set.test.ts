// The runtime set outlives reloads: kubelet's last UpdateRuntimeConfig reaches a runtime added
// by SIGHUP, and a runtime removed by SIGHUP stops being served from memory.
import { afterEach, expect, test } from "bun:test";
import { configFromFlags } from "../../src/config/config.ts";
import { startDaemon, type Daemon } from "../../src/daemon/daemon.ts";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { createLogger } from "../../src/log/logger.ts";
import { connectClients, type CriConnectClients } from "../support/connect-client.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { waitFor } from "../support/wait.ts";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function fake(label: string, pods: number): Promise<FakeRuntime> {
  const f = await startFakeRuntime({ socket: tempSocket(label), pods });
  cleanup.push(() => f.stop());
  return f;
}

async function daemon(connect: string, lines: string[] = []): Promise<{ d: Daemon; kubelet: CriConnectClients }> {
  const listen = tempSocket("rs-proxy");
  const d = await startDaemon(
    configFromFlags({ connect, listen, "stale-grace": "10m" }),
    createLogger({ v: 2, write: (l) => lines.push(l) }),
  );
  cleanup.push(() => d.stop());
  const kubelet = connectClients(listen);
  cleanup.push(() => kubelet.close());
  return { d, kubelet };
}

const reload = (d: Daemon, connect: string) =>
  d.reload(() => configFromFlags({ connect, listen: d.config.listen, "stale-grace": "10m" }));

test("a runtime added by SIGHUP receives kubelet's pod CIDR, sent before it existed", async () => {
  const primary = await fake("rs-p", 1);
  const vm = await fake("rs-vm", 0);
  const { d, kubelet } = await daemon(primary.socket);
  await kubelet.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: "10.244.3.0/24" } } });
  expect(primary.runtimeConfigs.at(-1)?.networkConfig?.podCidr).toBe("10.244.3.0/24");
  expect(vm.runtimeConfigs).toEqual([]);

  expect(await reload(d, `${primary.socket},vm:${vm.socket}`)).toMatchObject({ ok: true });
  await waitFor(() => vm.runtimeConfigs.length > 0, 5000, "the added runtime got UpdateRuntimeConfig");
  expect(vm.runtimeConfigs.at(-1)?.networkConfig?.podCidr).toBe("10.244.3.0/24");
});

test("a runtime that restarts gets the pod CIDR again", async () => {
  const primary = await fake("rs-p2", 0);
  let vm = await fake("rs-vm2", 0);
  const socket = vm.socket;
  const { d, kubelet } = await daemon(`${primary.socket},vm:${socket}`);
  await waitFor(() => d.backends[1].state === "ready", 5000, "vm ready");
  await kubelet.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: "10.244.7.0/24" } } });
  expect(vm.runtimeConfigs.length).toBe(1);
  await vm.stop();
  await waitFor(() => d.backends[1].state !== "ready", 5000, "vm noticed gone");
  vm = await startFakeRuntime({ socket, pods: 0 });
  cleanup.push(() => vm.stop());
  await waitFor(() => vm.runtimeConfigs.length > 0, 10_000, "the restarted runtime got UpdateRuntimeConfig");
  expect(vm.runtimeConfigs[0].networkConfig?.podCidr).toBe("10.244.7.0/24");
});

test("a runtime removed by SIGHUP stops being served from memory", async () => {
  const primary = await fake("rs-p3", 1);
  const vm = await fake("rs-vm3", 2);
  const lines: string[] = [];
  const { d, kubelet } = await daemon(`${primary.socket},vm:${vm.socket}`, lines);
  await waitFor(() => d.backends[1].state === "ready", 5000, "vm ready");
  const ids = async () => (await kubelet.runtime.listPodSandbox({})).items.map((p) => p.id);
  expect((await ids()).length).toBe(3);
  await vm.stop();
  await waitFor(() => d.backends[1].state !== "ready", 5000, "vm noticed gone");
  // Gone but remembered: kubelet still sees its pods.
  expect((await ids()).filter((id) => id.startsWith("vm__")).length).toBe(2);
  expect(lines.join("")).toContain("runtime vm: its pods are served from memory");

  expect(await reload(d, primary.socket)).toMatchObject({ ok: true });
  expect(await ids()).toEqual([...primary.state.sandboxes.keys()]);
});

test("right after a (re)start, a merged list waits for a named runtime still connecting: its pods are not reported gone", async () => {
  const primary = await fake("rs-p4", 1);
  const vm = await fake("rs-vm4", 2);
  for (let i = 0; i < 3; i++) {
    const { d, kubelet } = await daemon(`${primary.socket},vm:${vm.socket}`);
    const ids = (await kubelet.runtime.listPodSandbox({})).items.map((p) => p.id); // the very first call
    expect(ids.filter((id) => id.startsWith("vm__")).length).toBe(2);
    kubelet.close();
    await d.stop();
  }
});
