// --metrics-addr end to end: the real proxy's /metrics counts calls, codes, backend states,
// reconnects and events; /healthz and /readyz follow the process and the primary.
import { expect, test } from "bun:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { criClient } from "../support/grpc-client.ts";
import { startProxy } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { codeOf, get, metricsUrl, scrape, waitFor } from "./ops-helpers.ts";
import { sumOf, valueOf } from "./prom-text.ts";

test("/metrics, /healthz and /readyz through a primary's restart", async () => {
  const socket = tempSocket("met-primary");
  let primary: FakeRuntime = await startFakeRuntime({ socket, pods: 2 });
  const vmSocket = tempSocket("met-vm-absent");
  const proxy = await startProxy([
    "--connect",
    `${socket},vm:${vmSocket}`,
    "--metrics-addr",
    "127.0.0.1:0",
    "--connect-timeout",
    "500ms",
  ]);
  const kubelet = criClient(proxy.socket);
  try {
    const base = await metricsUrl(proxy);
    expect(base).toStartWith("http://127.0.0.1:");
    expect(proxy.log()).not.toContain("not a loopback address");
    expect(await get(`${base}/healthz`)).toEqual({ status: 200, body: "ok\n" });
    await waitFor(async () => (await get(`${base}/readyz`)).status === 200, 5000, "/readyz 200");

    await kubelet.call("Version");
    await kubelet.call("ListPodSandbox");
    expect((await codeOf(kubelet.call("PodSandboxStatus", { podSandboxId: "nosuch" }))).code).toBe(
      grpcStatus.NOT_FOUND,
    );
    expect((await codeOf(kubelet.call("PodSandboxStatus", { podSandboxId: "vm__x" }))).code).toBe(
      grpcStatus.UNAVAILABLE,
    );
    expect(
      (
        await codeOf(
          kubelet.call("RunPodSandbox", {
            config: { metadata: { name: "p" }, annotations: { "kubernetes.io/target-runtime": "nope" } },
          }),
        )
      ).code,
    ).toBe(grpcStatus.INVALID_ARGUMENT);

    const events = kubelet.stream<{ containerId: string }>("GetContainerEvents");
    const first = (async () => {
      for await (const e of events) return e;
    })();
    await waitFor(() => primary.eventSubscribers > 0);
    primary.emit({ containerId: "c1", containerEventType: 0, createdAt: 1n, containersStatuses: [] } as never);
    expect((await first)?.containerId).toBe("c1");
    events.cancel();

    const m = await scrape(base);
    expect(valueOf(m, "criproxy_calls_total", { method: "Version", backend: "primary", code: "OK" })).toBe(1);
    expect(valueOf(m, "criproxy_calls_total", { method: "ListPodSandbox", backend: "primary", code: "OK" })).toBe(1);
    expect(
      valueOf(m, "criproxy_calls_total", { method: "PodSandboxStatus", backend: "primary", code: "NotFound" }),
    ).toBe(1);
    expect(valueOf(m, "criproxy_calls_total", { method: "PodSandboxStatus", backend: "vm", code: "Unavailable" })).toBe(
      1,
    );
    expect(
      valueOf(m, "criproxy_calls_total", { method: "RunPodSandbox", backend: "none", code: "InvalidArgument" }),
    ).toBe(1);
    expect(
      valueOf(
        m,
        "criproxy_call_duration_seconds",
        { method: "Version", backend: "primary", le: "+Inf" },
        "criproxy_call_duration_seconds_bucket",
      ),
    ).toBe(1);
    expect(valueOf(m, "criproxy_backend_ready", { backend: "primary" })).toBe(1);
    expect(valueOf(m, "criproxy_backend_ready", { backend: "vm" })).toBe(0);
    expect(valueOf(m, "criproxy_events_streamed_total")).toBe(1);
    expect(valueOf(m, "criproxy_stale_list_answers_total")).toBe(0);
    expect(valueOf(m, "process_open_fds")).toBeGreaterThan(0);
    expect(valueOf(m, "process_resident_memory_bytes")).toBeGreaterThan(1e6);
    expect(m.get("criproxy_call_duration_seconds")?.type).toBe("histogram");

    // The primary goes: not ready (with the reason), still healthy; it returns: a reconnect.
    await primary.stop();
    await waitFor(async () => (await get(`${base}/readyz`)).status === 503, 5000, "/readyz 503");
    expect((await get(`${base}/readyz`)).body).toContain(`primary runtime (unix://${socket}) is`);
    expect((await get(`${base}/healthz`)).status).toBe(200);
    primary = await startFakeRuntime({ socket, pods: 2 });
    await waitFor(async () => (await get(`${base}/readyz`)).status === 200, 8000, "/readyz 200 again");
    const after = await scrape(base);
    expect(valueOf(after, "criproxy_backend_reconnects_total", { backend: "primary" })).toBe(1);
    expect(sumOf(after, "criproxy_calls_total")).toBeGreaterThanOrEqual(6);

    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
    expect((await get(`${base}/nothing`)).status).toBe(404);
  } finally {
    kubelet.close();
    await proxy.stop();
    await primary.stop();
  }
}, 30_000);

test("without --metrics-addr nothing is served; a non-loopback address is used only when given, with a warning", async () => {
  const primary = await startFakeRuntime({ socket: tempSocket("met-off") });
  const quiet = await startProxy(["--connect", primary.socket]);
  const loud = await startProxy(["--connect", primary.socket, "--metrics-addr", "0.0.0.0:0"]);
  try {
    expect(quiet.log()).not.toContain("metrics on");
    const base = await metricsUrl(loud);
    expect(base).toStartWith("http://0.0.0.0:");
    expect(loud.log()).toContain("--metrics-addr 0.0.0.0 is not a loopback address");
    expect((await get(`${base.replace("0.0.0.0", "127.0.0.1")}/healthz`)).status).toBe(200);
  } finally {
    await quiet.stop();
    await loud.stop();
    await primary.stop();
  }
}, 20_000);
