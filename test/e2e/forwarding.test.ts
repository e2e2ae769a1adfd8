// The foundation end to end: the real proxy process between an independent gRPC client
// (grpc-js, standing in for kubelet's grpc-go) and the fake runtime, on real sockets.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { Code, ConnectError } from "@connectrpc/connect";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { rawCall } from "../support/raw-http2.ts";
import { codeOf, waitFor } from "../support/wait.ts";

let fake: FakeRuntime;
let proxy: ProxyProcess;
let direct: CriClient;
let viaProxy: CriClient;

beforeAll(async () => {
  fake = await startFakeRuntime({ socket: tempSocket("fwd-rt"), pods: 3, images: 2 });
  proxy = await startProxy(["--connect", `unix://${fake.socket}`, "--connect-timeout", "700ms"]);
  direct = criClient(fake.socket);
  viaProxy = criClient(proxy.socket);
});

afterAll(async () => {
  direct?.close();
  viaProxy?.close();
  await proxy?.stop();
  await fake?.stop();
});

// Stats carry the time they were taken; compare them without it.
const timeless = (m: unknown): unknown =>
  JSON.parse(
    JSON.stringify(m, (k, v) =>
      k === "timestamp" || k === "usageCoreNanoSeconds" || k === "usageNanoCores"
        ? undefined
        : typeof v === "bigint"
          ? String(v)
          : v,
    ),
  );

describe("every read call answers through the proxy as it does directly", () => {
  test.each([
    ["Version", {}],
    ["Status", { verbose: true }],
    ["ListPodSandbox", {}],
    ["ListContainers", {}],
    ["ListContainerStats", {}],
    ["ListImages", {}],
    ["ImageFsInfo", {}],
    ["ListPodSandboxStats", {}],
  ])("%s", async (method, request) => {
    const [a, b] = await Promise.all([direct.call(method, request), viaProxy.call(method, request)]);
    expect(timeless(b)).toEqual(timeless(a));
  });
});

describe("errors come back with the runtime's code and message", () => {
  test("NotFound for an unknown container", async () => {
    const req = { containerId: "no-such-container" };
    const [a, b] = await Promise.all([
      codeOf(direct.call("ContainerStatus", req)),
      codeOf(viaProxy.call("ContainerStatus", req)),
    ]);
    expect(b).toEqual(a);
    expect(b).toMatchObject({ code: grpcStatus.NOT_FOUND });
  });

  test("Unimplemented RuntimeConfig, as containerd 1.6 answers", async () => {
    fake.setUnimplemented("RuntimeConfig");
    const [a, b] = await Promise.all([codeOf(direct.call("RuntimeConfig")), codeOf(viaProxy.call("RuntimeConfig"))]);
    expect(b).toEqual(a);
    expect(b).toMatchObject({ code: grpcStatus.UNIMPLEMENTED });
  });

  test("an injected error with an odd message keeps its exact text", async () => {
    const error = () => new ConnectError("disk on fire: 100% é", Code.ResourceExhausted);
    fake.failNext("ListImages", error());
    const a = await rawCall(fake.socket, "/runtime.v1.ImageService/ListImages", new Uint8Array());
    fake.failNext("ListImages", error());
    const b = await rawCall(proxy.socket, "/runtime.v1.ImageService/ListImages", new Uint8Array());
    expect(b.status).toBe(String(grpcStatus.RESOURCE_EXHAUSTED));
    expect(b.rawMessage).toBe(a.rawMessage);
    expect(b.message).toBe("disk on fire: 100% é");
  });
});

test("state-changing calls reach the runtime and answer", async () => {
  const run = await viaProxy.call<{ podSandboxId: string }>("RunPodSandbox", {
    config: { metadata: { name: "web", namespace: "default", uid: "u-1", attempt: 0 } },
  });
  expect(fake.state.sandboxes.has(run.podSandboxId)).toBe(true);
  await viaProxy.call("StopPodSandbox", { podSandboxId: run.podSandboxId });
  await viaProxy.call("RemovePodSandbox", { podSandboxId: run.podSandboxId });
  expect(fake.state.sandboxes.has(run.podSandboxId)).toBe(false);
  expect(fake.calls.map((c) => c.method)).toContain("RemovePodSandbox");
});

test("a method this build does not know is forwarded as bytes to the primary", async () => {
  const path = "/runtime.v1.RuntimeService/SomethingFromKubelet2030";
  const before = fake.calls.length;
  const [a, b] = await Promise.all([
    codeOf(direct.callRaw(path, new Uint8Array([8, 1]))),
    codeOf(viaProxy.callRaw(path, new Uint8Array([8, 1]))),
  ]);
  expect(a).toMatchObject({ code: grpcStatus.UNIMPLEMENTED });
  expect(b).toMatchObject({ code: grpcStatus.UNIMPLEMENTED });
  expect(fake.calls.length).toBe(before); // the fake's router refused it; nothing else was called
});

test("a percent-encoded socket path as :authority (grpc-go, crictl) is served", async () => {
  const crictlLike = criClient(proxy.socket, { authority: encodeURIComponent(proxy.socket) });
  try {
    for (let i = 0; i < 3; i++) expect(await crictlLike.call("Version")).toMatchObject({ runtimeName: "fake" });
  } finally {
    crictlLike.close();
  }
});

test("kubelet's deadline is honoured end to end", async () => {
  fake.setDelay("ListContainers", 3000);
  const hurried = criClient(proxy.socket, { deadlineMs: 300 });
  const started = Date.now();
  try {
    expect(await codeOf(hurried.call("ListContainers"))).toMatchObject({ code: grpcStatus.DEADLINE_EXCEEDED });
    expect(Date.now() - started).toBeLessThan(1500);
  } finally {
    hurried.close();
    fake.setDelay("ListContainers", 0);
  }
});

test("GetContainerEvents streams the runtime's events through", async () => {
  const events = viaProxy.stream<{ containerId: string }>("GetContainerEvents");
  const first = (async () => {
    for await (const e of events) return e;
  })();
  await waitFor(() => fake.eventSubscribers > 0, 5000, "the runtime's event stream open");
  fake.emit({ containerId: "c-event-1", containerEventType: 0, createdAt: 1n, containersStatuses: [] } as never);
  expect((await first)?.containerId).toBe("c-event-1");
  events.cancel();
});

test("messages up to 16 MiB pass; a larger request is ResourceExhausted and the next call works", async () => {
  const big = new Uint8Array(17 * 1024 * 1024);
  const answer = await rawCall(proxy.socket, "/runtime.v1.RuntimeService/Version", big);
  expect(Number(answer.status)).toBe(grpcStatus.RESOURCE_EXHAUSTED);
  expect(await viaProxy.call("Version")).toMatchObject({ runtimeName: "fake" });
});

test("malformed protobuf or a bad gRPC prefix gets a clear error, and the next call works", async () => {
  const truncated = await rawCall(proxy.socket, "/runtime.v1.RuntimeService/Version", new Uint8Array([1, 2]), {
    rawBody: true,
  });
  expect(Number(truncated.status)).toBe(grpcStatus.INVALID_ARGUMENT);
  expect(truncated.message).toContain("truncated");
  expect(await viaProxy.call("Version")).toMatchObject({ runtimeName: "fake" });
});
