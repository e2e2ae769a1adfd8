// The API override and a v1alpha2 primary: `--connect PRIMARY?api=v1alpha2,...` as given on the
// real command line speaks v1alpha2 to a runtime that serves both (as containerd 1.6 does),
// without probing v1; methods v1alpha2 lacks fail the call when the primary lacks them; a
// named v1 runtime still joins fan-outs; criproxy_backend_ready names each runtime's API.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { codeOf, waitFor } from "../support/wait.ts";
import { metricsUrl, scrape } from "../ops/ops-helpers.ts";
import { valueOf } from "../ops/prom-text.ts";

let primary: FakeRuntime;
let gpu: FakeRuntime;
let proxy: ProxyProcess;
let kubelet: CriClient;

beforeAll(async () => {
  primary = await startFakeRuntime({
    socket: tempSocket("a2p-primary"),
    runtimeName: "both-apis",
    pods: 1,
    containersPerPod: 1,
    api: "both",
  });
  gpu = await startFakeRuntime({ socket: tempSocket("a2p-gpu"), runtimeName: "v1-only", pods: 1, containersPerPod: 1 });
  proxy = await startProxy([
    "--connect",
    `unix://${primary.socket}?api=v1alpha2,gpu:${gpu.socket}`,
    "--metrics-addr",
    "127.0.0.1:0",
    "-v",
    "1",
  ]);
  kubelet = criClient(proxy.socket);
  await waitFor(async () => (await kubelet.call<{ items: unknown[] }>("ListPodSandbox")).items.length === 2);
});

afterAll(async () => {
  kubelet?.close();
  await proxy?.stop();
  await primary?.stop();
  await gpu?.stop();
});

describe("a primary forced to v1alpha2", () => {
  test("is never asked in v1, though it serves v1 too", async () => {
    await kubelet.call("Version");
    await kubelet.call("ListContainers");
    expect(primary.calls.length).toBeGreaterThan(0);
    expect(primary.calls.filter((c) => c.service.startsWith("runtime.v1."))).toEqual([]);
    expect(proxy.log()).toMatch(
      /runtime primary \(unix:\/\/\S+\): connecting -> ready \(CRI v1alpha2, as configured\)/,
    );
  });

  test.each([
    { method: "GetContainerEvents", streaming: true },
    { method: "ListMetricDescriptors", streaming: false },
    { method: "RuntimeConfig", streaming: false },
    { method: "StreamPodSandboxMetrics", streaming: true },
  ])(
    "$method, which v1alpha2 lacks, is Unimplemented for the call, naming the primary",
    async ({ method, streaming }) => {
      const call = streaming
        ? (async () => {
            for await (const _ of kubelet.stream(method, {})) void _;
          })()
        : kubelet.call(method, {});
      expect(await codeOf(call)).toEqual({
        code: 12,
        details: `runtime primary speaks CRI v1alpha2, which has no ${method}`,
      });
    },
  );

  test("a named v1 runtime still joins the merged lists", async () => {
    const { containers } = await kubelet.call<{ containers: { id: string }[] }>("ListContainers");
    expect(containers.filter((c) => c.id.startsWith("gpu__"))).toHaveLength(1);
    expect(containers.filter((c) => !c.id.includes("__"))).toHaveLength(1);
  });

  test("a streaming list merges the primary's unary list (one message) with gpu's stream", async () => {
    const ids: string[] = [];
    for await (const m of kubelet.stream<{ containers: { id: string }[] }>("StreamContainers", {}))
      ids.push(...m.containers.map((c) => c.id));
    expect(ids.filter((id) => id.startsWith("gpu__"))).toHaveLength(1);
    expect(ids.filter((id) => !id.includes("__"))).toHaveLength(1);
    expect(primary.calls.at(-1)).toMatchObject({
      service: "runtime.v1alpha2.RuntimeService",
      method: "ListContainers",
    });
  });

  test("criproxy_backend_ready carries each runtime's API", async () => {
    const m = await scrape(await metricsUrl(proxy));
    expect(valueOf(m, "criproxy_backend_ready", { backend: "primary", api: "v1alpha2" })).toBe(1);
    expect(valueOf(m, "criproxy_backend_ready", { backend: "gpu", api: "v1" })).toBe(1);
  });
});
