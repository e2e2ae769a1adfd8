// Runtime faults end to end: killed mid-call, answering slowly, restarting under kubelet-like
// load. kubelet must get a clear answer in time, and never see a pod vanish.
import { expect, test } from "bun:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { defaults } from "../../src/config/config.ts";
import { parseDuration } from "../../src/config/duration.ts";
import { criClient } from "../support/grpc-client.ts";
import { startProxy } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { codeOf, metricsUrl, scrape, waitFor } from "../ops/ops-helpers.ts";
import { valueOf } from "../ops/prom-text.ts";
import { runtimeProcess } from "./fault-support.ts";

const FANOUT_TIMEOUT_MS = parseDuration(defaults["fan-out-budget"]);

type Pods = { items: { id: string }[] };

// The codes kubelet got when a runtime was killed under a call (checked by the test after).
const killedCodes: { vm?: number; primary?: number } = {};

test("a runtime killed mid-call: the call fails at once (no hang), and the next calls work", async () => {
  const primary = runtimeProcess({
    socket: tempSocket("kill-primary"),
    seed: "kp",
    pods: 2,
    delays: { ListContainers: 10_000 },
  });
  const vm = runtimeProcess({
    socket: tempSocket("kill-vm"),
    seed: "kv",
    pods: 1,
    delays: { PodSandboxStatus: 10_000 },
  });
  await Promise.all([primary.start(), vm.start()]);
  const proxy = await startProxy(["--connect", `${primary.socket},vm:${vm.socket}`, "--connect-timeout", "1s"]);
  const kubelet = criClient(proxy.socket, { deadlineMs: 30_000 });
  try {
    let pods: string[] = [];
    await waitFor(
      async () => (pods = (await kubelet.call<Pods>("ListPodSandbox")).items.map((p) => p.id)).length === 3,
      8000,
      "both runtimes listed",
    );
    const vmPod = pods.find((id) => id.startsWith("vm__"))!;

    // vm dies while answering PodSandboxStatus.
    let started = Date.now();
    const toVm = codeOf(kubelet.call("PodSandboxStatus", { podSandboxId: vmPod }));
    await waitFor(() => vm.calls("PodSandboxStatus") > 0, 8000, "the call reached vm");
    await vm.kill();
    const vmFailed = await toVm;
    killedCodes.vm = vmFailed.code;
    expect(vmFailed.code).not.toBe(grpcStatus.OK);
    expect(vmFailed.details).toContain("vm");
    expect(Date.now() - started).toBeLessThan(3000);

    // The primary dies while answering ListContainers.
    started = Date.now();
    const asked = primary.calls("ListContainers");
    const toPrimary = codeOf(kubelet.call("ListContainers"));
    await waitFor(() => primary.calls("ListContainers") > asked, 8000, "the call reached the primary");
    await primary.kill();
    killedCodes.primary = (await toPrimary).code;
    expect(killedCodes.primary).not.toBe(grpcStatus.OK);
    expect(Date.now() - started).toBeLessThan(3000);

    // Both come back: calls work, vm's pod was never gone from lists.
    await Promise.all([primary.start(), vm.start()]);
    await waitFor(async () => (await kubelet.call<Pods>("ListPodSandbox")).items.length === 3, 8000, "both back");
    expect((await kubelet.call<Pods>("ListPodSandbox")).items.map((p) => p.id).sort()).toEqual(pods.sort());
    expect(proxy.proc.exitCode).toBeNull();
  } finally {
    kubelet.close();
    await proxy.stop();
    await Promise.all([primary.kill(), vm.kill()]);
  }
}, 30_000);

// Bun's node:http2 ends a stream whose connection died with rstCode CANCEL and no error;
// kubelet must see Unavailable (retry later), not Canceled.
test("...and the code of a call whose runtime was killed under it is Unavailable", () => {
  expect(killedCodes).toEqual({ vm: grpcStatus.UNAVAILABLE, primary: grpcStatus.UNAVAILABLE });
});

test(`a slow named runtime is cut off after ${FANOUT_TIMEOUT_MS}ms: the merged list answers, its pods kept from memory`, async () => {
  const primary = await startFakeRuntime({ socket: tempSocket("slow-primary"), pods: 2 });
  const vm = await startFakeRuntime({ socket: tempSocket("slow-vm"), pods: 2 });
  const proxy = await startProxy(["--connect", `${primary.socket},vm:${vm.socket}`, "--metrics-addr", "127.0.0.1:0"]);
  const kubelet = criClient(proxy.socket, { deadlineMs: 60_000 });
  try {
    const base = await metricsUrl(proxy);
    let before: string[] = [];
    await waitFor(
      async () => (before = (await kubelet.call<Pods>("ListPodSandbox")).items.map((p) => p.id)).length === 4,
      8000,
      "vm listed",
    );
    expect((await kubelet.call<{ containers: unknown[] }>("ListContainers")).containers.length).toBe(16);
    vm.setDelay("ListPodSandbox", 30_000);
    vm.setDelay("ListContainers", 30_000);
    let started = Date.now();
    const [pods, containers] = await Promise.all([
      kubelet.call<Pods>("ListPodSandbox"),
      kubelet.call<{ containers: unknown[] }>("ListContainers"),
    ]);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(FANOUT_TIMEOUT_MS - 100);
    expect(took).toBeLessThan(FANOUT_TIMEOUT_MS + 1500);
    expect(pods.items.map((p) => p.id).sort()).toEqual(before.sort()); // nothing lost
    expect(containers.containers.length).toBe(16);
    // Its breaker is open now: a call to its own objects fails fast, naming it and since when (test/faults/breaker.test.ts).
    started = Date.now();
    const refused = await codeOf(
      kubelet.call("PodSandboxStatus", { podSandboxId: before.find((id) => id.startsWith("vm__"))! }),
    );
    expect(refused.code).toBe(grpcStatus.UNAVAILABLE);
    expect(refused.details).toMatch(/runtime vm has not answered in time since /);
    expect(Date.now() - started).toBeLessThan(1000);
    const m = await scrape(base);
    expect(valueOf(m, "criproxy_stale_list_answers_total")).toBe(2);
    expect(
      valueOf(
        m,
        "criproxy_call_duration_seconds",
        { method: "ListPodSandbox", backend: "vm", le: "2.5" },
        "criproxy_call_duration_seconds_bucket",
      ),
    ).toBe(1);
    expect(
      valueOf(
        m,
        "criproxy_call_duration_seconds",
        { method: "ListPodSandbox", backend: "vm", le: "10" },
        "criproxy_call_duration_seconds_bucket",
      ),
    ).toBe(2);
  } finally {
    kubelet.close();
    await proxy.stop();
    await primary.stop();
    await vm.stop();
  }
}, 30_000);

test("a runtime restarting again and again under a kubelet-like load: lists always answer, with all its pods", async () => {
  const primary = await startFakeRuntime({ socket: tempSocket("flap-primary"), pods: 4 });
  const vm = runtimeProcess({ socket: tempSocket("flap-vm"), seed: "flap", pods: 3 });
  await vm.start();
  const proxy = await startProxy([
    "--connect",
    `${primary.socket},vm:${vm.socket}`,
    "--metrics-addr",
    "127.0.0.1:0",
    "--connect-timeout",
    "1s",
  ]);
  const kubelet = criClient(proxy.socket, { deadlineMs: 10_000 });
  try {
    const base = await metricsUrl(proxy);
    let all: string[] = [];
    await waitFor(
      async () => (all = (await kubelet.call<Pods>("ListPodSandbox")).items.map((p) => p.id)).length === 7,
      8000,
      "vm listed",
    );
    let stop = false;
    const failures: string[] = [];
    let relists = 0;
    let slowest = 0;
    // kubelet: a relist (pods, containers) every 200ms, stats every 400ms (faster than kubelet's 1s, to see more restarts).
    const load = (async () => {
      for (let tick = 0; !stop; tick++) {
        const started = Date.now();
        const calls: Promise<unknown>[] = [kubelet.call<Pods>("ListPodSandbox"), kubelet.call("ListContainers")];
        if (tick % 2 === 0) calls.push(kubelet.call("ListPodSandboxStats"), kubelet.call("ListContainerStats"));
        const results = await Promise.allSettled(calls);
        slowest = Math.max(slowest, Date.now() - started);
        relists++;
        for (const [i, r] of results.entries())
          if (r.status === "rejected") failures.push(`call ${i}: ${(r.reason as Error).message}`);
        const pods = results[0].status === "fulfilled" ? (results[0].value as Pods).items.map((p) => p.id) : [];
        const missing = all.filter((id) => !pods.includes(id));
        if (results[0].status === "fulfilled" && missing.length)
          failures.push(`tick ${tick}: ${missing.length} pods missing`);
        await Bun.sleep(200);
      }
    })();
    const restarts = 4;
    const vmReady = async () => valueOf(await scrape(base), "criproxy_backend_ready", { backend: "vm" });
    const reconnects = async () =>
      valueOf(await scrape(base), "criproxy_backend_reconnects_total", { backend: "vm" }) ?? 0;
    for (let i = 0; i < restarts; i++) {
      // Each restart is one the proxy sees: vm served, killed while the load runs, noticed gone, back.
      await waitFor(
        async () => (await reconnects()) >= i && (await vmReady()) === 1 && relists > 2 * i,
        8000,
        `vm ready (restart ${i})`,
      );
      await vm.kill();
      await waitFor(async () => (await vmReady()) === 0, 8000, `vm noticed gone (restart ${i})`);
      await vm.start();
    }
    await waitFor(
      async () =>
        (await scrape(base)).get("criproxy_backend_reconnects_total")?.samples.some((s) => s.value >= restarts) ??
        false,
      8000,
      "vm reconnected",
    );
    const settled = relists;
    await waitFor(() => relists >= settled + 2, 8000, "relists after the last restart"); // the load goes on once vm is back
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(relists).toBeGreaterThan(2 * restarts + 1); // every restart had relists on both sides of it
    expect(slowest).toBeLessThan(3000);
    const m = await scrape(base);
    expect(valueOf(m, "criproxy_backend_reconnects_total", { backend: "vm" })).toBe(restarts);
    expect(valueOf(m, "criproxy_stale_list_answers_total")).toBeGreaterThan(0);
    expect(valueOf(m, "criproxy_backend_ready", { backend: "vm" })).toBe(1);
  } finally {
    kubelet.close();
    await proxy.stop();
    await primary.stop();
    await vm.kill();
  }
}, 60_000); // four restarts, each waited for, on a loaded 2-core machine
