// A CRI v1alpha2 runtime behind a v1 kubelet: every method of the method table, called as
// kubelet calls it, against a primary that speaks v1 and a named runtime `vm` that speaks only
// v1alpha2 (the fake's v1alpha2 mode: its v1 services answer Unimplemented). The proxy finds
// vm's API by probing. Each row says what kubelet gets: forwarded on vm's v1alpha2 path with
// ids prefixed (a streaming list by the unary list it streams), Unimplemented naming vm and its
// API, vm left out of a fan-out, vm polled for events, or the primary's answer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { methodTable } from "../../src/core/methods.ts";
import type { FakeRuntime } from "../../src/fake/runtime.ts";
import type { CriClient } from "../support/grpc-client.ts";
import type { ProxyProcess } from "../support/proxy-process.ts";
import { startV1alpha2Node, type V1alpha2Node } from "../support/v1alpha2-node.ts";
import { codeOf } from "../support/wait.ts";

let node: V1alpha2Node;
let vm: FakeRuntime;
let proxy: ProxyProcess;
let kubelet: CriClient;
const ids = { pod: "", container: "", image: "", newPod: "", newContainer: "" };

beforeAll(async () => {
  node = await startV1alpha2Node();
  ({ vm, proxy, kubelet } = node);
  Object.assign(ids, node.ids);
});

afterAll(() => node?.stop());

type Outcome = "forwarded" | "merged" | "unimplemented" | "left-out" | "polled" | "primary";
interface Row {
  method: string;
  request: () => object;
  expect: Outcome;
  /** The v1alpha2 method vm gets, when not kubelet's own. */
  via?: string;
  /** Something of vm's that kubelet's answer must carry, prefixed. */
  carries?: () => string;
  after?: (answer: any) => void;
}

const podConfig = (name: string) => ({
  metadata: { name, namespace: "default", uid: `uid-${name}`, attempt: 0 },
  annotations: { "kubernetes.io/target-runtime": "vm" },
});
const pod = () => ({ podSandboxId: ids.pod });
const ctr = () => ({ containerId: ids.container });

// In table order where it matters: the pod and container created here are stopped and removed last.
const rows: Row[] = [
  { method: "Version", request: () => ({}), expect: "primary" },
  {
    method: "RunPodSandbox",
    request: () => ({ config: podConfig("a2-pod") }),
    expect: "forwarded",
    after: (a) => (ids.newPod = a.podSandboxId),
    carries: () => "vm__",
  },
  { method: "PodSandboxStatus", request: pod, expect: "forwarded", carries: () => ids.pod },
  { method: "ListPodSandbox", request: () => ({}), expect: "merged", carries: () => ids.pod },
  {
    method: "StreamPodSandboxes",
    request: () => ({}),
    expect: "merged",
    via: "ListPodSandbox",
    carries: () => ids.pod,
  },
  {
    method: "CreateContainer",
    request: () => ({
      podSandboxId: ids.newPod,
      config: { metadata: { name: "app" }, image: { image: ids.image, userSpecifiedImage: ids.image } },
      sandboxConfig: podConfig("a2-pod"),
    }),
    expect: "forwarded",
    after: (a) => (ids.newContainer = a.containerId),
    carries: () => "vm__",
  },
  { method: "StartContainer", request: () => ({ containerId: ids.newContainer }), expect: "forwarded" },
  {
    method: "ContainerStatus",
    request: () => ({ containerId: ids.newContainer }),
    expect: "forwarded",
    carries: () => ids.newContainer,
  },
  { method: "ListContainers", request: () => ({}), expect: "merged", carries: () => ids.container },
  {
    method: "StreamContainers",
    request: () => ({}),
    expect: "merged",
    via: "ListContainers",
    carries: () => ids.container,
  },
  {
    method: "UpdateContainerResources",
    request: () => ({ ...ctr(), linux: { cpuShares: 512n } }),
    expect: "forwarded",
  },
  { method: "ReopenContainerLog", request: ctr, expect: "forwarded" },
  { method: "ExecSync", request: () => ({ ...ctr(), cmd: ["true"] }), expect: "forwarded" },
  { method: "Exec", request: () => ({ ...ctr(), cmd: ["sh"], stdout: true }), expect: "forwarded" },
  { method: "Attach", request: () => ({ ...ctr(), stdout: true }), expect: "forwarded" },
  { method: "PortForward", request: () => ({ ...pod(), port: [80] }), expect: "forwarded" },
  { method: "ContainerStats", request: ctr, expect: "forwarded", carries: () => ids.container },
  { method: "ListContainerStats", request: () => ({}), expect: "merged", carries: () => ids.container },
  {
    method: "StreamContainerStats",
    request: () => ({}),
    expect: "merged",
    via: "ListContainerStats",
    carries: () => ids.container,
  },
  { method: "PodSandboxStats", request: pod, expect: "forwarded", carries: () => ids.pod },
  { method: "ListPodSandboxStats", request: () => ({}), expect: "merged", carries: () => ids.pod },
  {
    method: "StreamPodSandboxStats",
    request: () => ({}),
    expect: "merged",
    via: "ListPodSandboxStats",
    carries: () => ids.pod,
  },
  {
    method: "UpdateRuntimeConfig",
    request: () => ({ runtimeConfig: { networkConfig: { podCidr: "10.1.0.0/16" } } }),
    expect: "merged",
  },
  { method: "Status", request: () => ({}), expect: "merged" },
  { method: "CheckpointContainer", request: ctr, expect: "unimplemented" },
  { method: "GetContainerEvents", request: () => ({}), expect: "polled" },
  { method: "ListMetricDescriptors", request: () => ({}), expect: "left-out" },
  { method: "ListPodSandboxMetrics", request: () => ({}), expect: "left-out" },
  { method: "StreamPodSandboxMetrics", request: () => ({}), expect: "left-out" },
  { method: "RuntimeConfig", request: () => ({}), expect: "primary" },
  { method: "UpdatePodSandboxResources", request: () => ({ ...pod(), resources: {} }), expect: "unimplemented" },
  { method: "ListImages", request: () => ({}), expect: "merged", carries: () => ids.image },
  { method: "StreamImages", request: () => ({}), expect: "merged", via: "ListImages", carries: () => ids.image },
  {
    method: "ImageStatus",
    request: () => ({ image: { image: ids.image } }),
    expect: "forwarded",
    carries: () => ids.image,
  },
  {
    method: "PullImage",
    request: () => ({ image: { image: "vm/docker.io/library/busybox:1.36" } }),
    expect: "forwarded",
  },
  { method: "ImageFsInfo", request: () => ({}), expect: "merged" },
  { method: "StopContainer", request: () => ({ containerId: ids.newContainer, timeout: 0n }), expect: "forwarded" },
  { method: "RemoveContainer", request: () => ({ containerId: ids.newContainer }), expect: "forwarded" },
  {
    method: "RemoveImage",
    request: () => ({ image: { image: "vm/docker.io/library/busybox:1.36" } }),
    expect: "forwarded",
  },
  { method: "StopPodSandbox", request: () => ({ podSandboxId: ids.newPod }), expect: "forwarded" },
  { method: "RemovePodSandbox", request: () => ({ podSandboxId: ids.newPod }), expect: "forwarded" },
];

async function callOf(method: string, request: object): Promise<unknown> {
  const row = [...methodTable.values()].find((r) => r.method.name === method)!;
  if (!row.streaming) return kubelet.call(method, request);
  const stream = kubelet.stream<object>(method, request);
  const got: object[] = [];
  // GetContainerEvents never ends by itself: a short look is enough to see who answered.
  const timer = method === "GetContainerEvents" ? setTimeout(() => stream.cancel(), 300) : undefined;
  try {
    for await (const m of stream) got.push(m);
  } catch (e) {
    if ((e as { code?: number }).code !== 1) throw e; // 1: our own cancel
  }
  clearTimeout(timer);
  return got;
}

describe("every v1 method, from kubelet to a v1alpha2 runtime", () => {
  test("the table covers the whole method table", () => {
    expect(rows.map((r) => r.method).sort()).toEqual([...methodTable.values()].map((r) => r.method.name).sort());
  });

  test.each(rows)("$method: $expect", async (row) => {
    const before = vm.calls.length;
    const outcome = await codeOf(
      callOf(row.method, row.request()).then((a) => ((row as { answer?: unknown }).answer = a)),
    );
    const vmCalls = vm.calls.slice(before);
    const answer = (row as { answer?: any }).answer;
    if (row.expect === "unimplemented") {
      expect(outcome).toEqual({ code: 12, details: `runtime vm speaks CRI v1alpha2, which has no ${row.method}` });
      expect(vmCalls).toEqual([]);
      return;
    }
    expect(outcome).toEqual({ code: 0, details: "" });
    if (row.expect === "forwarded" || row.expect === "merged") {
      // vm got kubelet's method on its v1alpha2 service, nothing on v1.
      expect(vmCalls.map((c) => `${c.service}/${c.method}`)).toContain(
        `runtime.v1alpha2.${row.method.includes("Image") ? "ImageService" : "RuntimeService"}/${row.via ?? row.method}`,
      );
      expect(vmCalls.filter((c) => c.service.startsWith("runtime.v1."))).toEqual([]);
    } else if (row.expect === "polled") {
      // No events in v1alpha2: vm is listed for them instead (see "events" below).
      expect(vmCalls.map((c) => `${c.service}/${c.method}`).sort()).toEqual([
        "runtime.v1alpha2.RuntimeService/ListContainers",
        "runtime.v1alpha2.RuntimeService/ListPodSandbox",
      ]);
    } else {
      expect(vmCalls).toEqual([]);
    }
    if (row.carries)
      expect(JSON.stringify(answer, (_, v) => (typeof v === "bigint" ? String(v) : v))).toContain(row.carries());
    row.after?.(answer);
  });
});

describe("a filter naming the v1alpha2 runtime, and what it cannot do", () => {
  test("a streaming list filtered to vm is answered by vm's unary list, the filter unprefixed", async () => {
    const got = (await callOf("StreamContainers", { filter: { id: ids.container } })) as {
      containers: { id: string }[];
    }[];
    expect(got.flatMap((m) => m.containers.map((c) => c.id))).toEqual([ids.container]);
    const call = vm.calls.at(-1)!;
    expect([call.service, call.method]).toEqual(["runtime.v1alpha2.RuntimeService", "ListContainers"]);
    expect((call.request as { filter: { id: string } }).filter.id).toBe(ids.container.slice(4));
  });

  test("a v1-only field whose loss would weaken the container is refused before vm gets anything", async () => {
    const before = vm.calls.length;
    const r = await codeOf(
      kubelet.call("CreateContainer", {
        podSandboxId: ids.pod,
        config: {
          metadata: { name: "rro" },
          image: { image: ids.image },
          mounts: [{ containerPath: "/d", hostPath: "/s", readonly: true, recursiveReadOnly: true }],
        },
      }),
    );
    expect(r.code).toBe(3);
    expect(r.details).toContain("runtime vm speaks CRI v1alpha2, which has no recursively read-only mounts");
    expect(vm.calls.length).toBe(before);
  });

  test("the proxy logged vm's API when it became ready", () => {
    expect(proxy.log()).toMatch(/runtime vm \(unix:\/\/\S+\): connecting -> ready \(CRI v1alpha2\)/);
    expect(proxy.log()).toMatch(/runtime primary \(unix:\/\/\S+\): connecting -> ready \(CRI v1\)/);
  });
});
