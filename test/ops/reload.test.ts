// SIGHUP re-reads --config: a valid file applies (a runtime added, one removed after its
// in-flight calls finish, -v and --log-format changed), an invalid one is logged with the
// reason and the running configuration stays.
import { afterAll, expect, test } from "bun:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { criClient } from "../support/grpc-client.ts";
import { startProxy, tempDir } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { codeOf, metricsUrl, scrape, waitFor } from "./ops-helpers.ts";
import { valueOf } from "./prom-text.ts";

const tmp = tempDir("criproxy-reload-");
afterAll(() => tmp.remove());

test("SIGHUP: add a runtime, reject bad files, change -v and the log format, remove a runtime after its calls drain", async () => {
  const primary = await startFakeRuntime({ socket: tempSocket("rl-primary"), pods: 1 });
  const vm = await startFakeRuntime({ socket: tempSocket("rl-vm"), pods: 2, handlers: ["kata-qemu"] });
  const path = join(tmp.dir, "criproxy.yaml");
  const write = (text: string, mode = 0o600) => {
    writeFileSync(path, text);
    chmodSync(path, mode);
  };
  const base = `metrics-addr: 127.0.0.1:0\nbackends:\n  - endpoint: ${primary.socket}\n`;
  const withVm = `${base}  - name: vm\n    endpoint: unix://${vm.socket}\n    handlers: { kata: kata-qemu }\n`;
  write(base);
  const proxy = await startProxy(["--config", path]);
  const kubelet = criClient(proxy.socket);
  const ids = async () => (await kubelet.call<{ items: { id: string }[] }>("ListPodSandbox")).items.map((p) => p.id);
  let hups = 0;
  const hup = async (expectText: string) => {
    const before = proxy.log().split("SIGHUP:").length;
    hups++;
    proxy.proc.kill("SIGHUP");
    await waitFor(() => proxy.log().split("SIGHUP:").length > before, 5000, `SIGHUP #${hups} logged`);
    expect(proxy.log().split("SIGHUP:").at(-1)).toContain(expectText);
  };
  try {
    const metrics = await metricsUrl(proxy);
    expect((await ids()).length).toBe(1);
    await hup("(no change)");

    // A runtime added: routed to at once, its claims too.
    write(withVm);
    await hup("applied: runtime vm added");
    await waitFor(async () => (await ids()).length === 3, 5000, "vm's pods listed");
    const run = await kubelet.call<{ podSandboxId: string }>("RunPodSandbox", {
      config: { metadata: { name: "k", uid: "u", namespace: "d" } },
      runtimeHandler: "kata",
    });
    expect(run.podSandboxId).toStartWith("vm__");

    // Invalid files: rejected with the reason; everything stays as it was.
    write(`${withVm}stale-grace: soon\n`);
    await hup(`rejected, the running configuration stays: ${path}: stale-grace: "soon" is not a duration`);
    write(withVm, 0o666);
    await hup("is world-writable");
    write(`${withVm}bogus: 1\n`);
    await hup("bogus: unknown setting");
    expect((await ids()).length).toBe(4);

    // -v and the log format change without a restart.
    write(`${withVm}v: 3\nlog-format: json\n`);
    await hup("-v changed; --log-format changed");
    await kubelet.call("StopPodSandbox", { podSandboxId: run.podSandboxId });
    await waitFor(() => proxy.log().includes('"method":"StopPodSandbox"'), 3000, "a JSON call record");
    const record = JSON.parse(
      proxy
        .log()
        .split("\n")
        .find((l) => l.includes('"method":"StopPodSandbox"'))!,
    );
    expect(record).toMatchObject({
      level: "info",
      v: 3,
      method: "StopPodSandbox",
      backend: "vm",
      code: "OK",
      pod_sandbox_id: run.podSandboxId,
    });
    expect(typeof record.duration_ms).toBe("number");

    // vm removed while a call to it runs: the call finishes, then vm is closed.
    const events = kubelet.stream<{ containerId: string }>("GetContainerEvents");
    const eventsEnded = (async () => {
      for await (const _ of events);
      return "ended";
    })().catch((e) => `failed: ${e.code}`);
    await waitFor(() => vm.eventSubscribers > 0, 3000, "events stream open");
    vm.setDelay("PodSandboxStatus", 1500);
    const asked = vm.calls.filter((c) => c.method === "PodSandboxStatus").length;
    const slow = kubelet.call<{ status: { id: string } }>("PodSandboxStatus", { podSandboxId: run.podSandboxId });
    await waitFor(
      () => vm.calls.filter((c) => c.method === "PodSandboxStatus").length > asked,
      5000,
      "the slow call reached vm",
    );
    write(base);
    await hup("runtime vm removed");
    expect(await eventsEnded).toBe("ended"); // the old configuration's stream ends; kubelet subscribes again
    expect((await slow).status.id).toBe(run.podSandboxId);
    await waitFor(
      () => proxy.log().includes(`runtime vm (unix://${vm.socket}) removed`),
      3000,
      "vm closed after draining",
    );
    expect((await ids()).length).toBe(1);
    // A vm__ id now names no configured runtime: it goes to the primary unchanged, which does not know it.
    expect((await codeOf(kubelet.call("PodSandboxStatus", { podSandboxId: run.podSandboxId }))).code).toBe(
      grpcStatus.NOT_FOUND,
    );

    const m = await scrape(metrics);
    expect(valueOf(m, "criproxy_config_reloads_total", { result: "ok" })).toBe(4);
    expect(valueOf(m, "criproxy_config_reloads_total", { result: "error" })).toBe(3);
    expect(valueOf(m, "criproxy_backend_ready", { backend: "vm" })).toBeUndefined();
    expect(proxy.proc.exitCode).toBeNull();
  } finally {
    kubelet.close();
    await proxy.stop();
    await primary.stop();
    await vm.stop();
  }
}, 40_000);

test("SIGHUP without --config changes nothing and says so; flags keep overriding the file on reload", async () => {
  const primary = await startFakeRuntime({ socket: tempSocket("rl-plain") });
  const plain = await startProxy(["--connect", primary.socket]);
  const path = join(tmp.dir, "override.toml");
  writeFileSync(path, `v = 0\n[[backends]]\nendpoint = "/nonexistent/primary.sock"\n`);
  chmodSync(path, 0o600);
  const overridden = await startProxy(["--config", path, "--connect", primary.socket]);
  const kubelet = criClient(overridden.socket);
  try {
    plain.proc.kill("SIGHUP");
    await waitFor(() => plain.log().includes("SIGHUP: no --config file to re-read"), 3000);
    overridden.proc.kill("SIGHUP");
    await waitFor(() => overridden.log().includes("SIGHUP:"), 3000);
    expect(overridden.log()).toContain("(no change)");
    expect(await kubelet.call("Version")).toMatchObject({ runtimeName: "fake" });
  } finally {
    kubelet.close();
    await plain.stop();
    await overridden.stop();
    await primary.stop();
  }
}, 20_000);
