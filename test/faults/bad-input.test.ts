// Bad input not covered by test/e2e (garbage bytes, HTTP/1, a bad preface, >16 MiB and a
// truncated prefix are there): each gets a clear gRPC error or a closed stream, nothing
// reaches a runtime that should not, and the next call works.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { connect as h2connect, constants } from "node:http2";
import { connect } from "node:net";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { rawCall } from "../support/raw-http2.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { codeOf, metricsUrl, scrape, waitFor } from "../ops/ops-helpers.ts";
import { valueOf } from "../ops/prom-text.ts";

let primary: FakeRuntime;
let vm: FakeRuntime;
let proxy: ProxyProcess;
let kubelet: CriClient;
let metrics: string;

beforeAll(async () => {
  primary = await startFakeRuntime({ socket: tempSocket("bad-primary"), pods: 1, images: 1 });
  vm = await startFakeRuntime({ socket: tempSocket("bad-vm"), pods: 1, images: 1 });
  proxy = await startProxy(["--connect", `${primary.socket},vm:${vm.socket}`, "--metrics-addr", "127.0.0.1:0"]);
  kubelet = criClient(proxy.socket);
  metrics = await metricsUrl(proxy);
  await waitFor(
    async () => (await kubelet.call<{ items: unknown[] }>("ListPodSandbox")).items.length === 2,
    8000,
    "vm listed",
  );
}, 15_000);

afterAll(async () => {
  kubelet?.close();
  await proxy?.stop();
  await primary?.stop();
  await vm?.stop();
}, 15_000);

/** The proxy is alive and routing: a merged list answers with both runtimes' pods. */
async function nextCallWorks(): Promise<void> {
  expect((await kubelet.call<{ items: unknown[] }>("ListPodSandbox")).items.length).toBe(2);
  expect(proxy.proc.exitCode).toBeNull();
}

const calls = (f: FakeRuntime, method: string) => f.calls.filter((c) => c.method === method).length;
const envelope = (length: number, body: Uint8Array) =>
  Buffer.concat([Buffer.from([0, length >>> 24, (length >>> 16) & 255, (length >>> 8) & 255, length & 255]), body]);

describe("a client that hangs up mid-message", () => {
  test.each([
    { desc: "resets its stream (RST_STREAM CANCEL)", end: "reset" },
    { desc: "closes its connection", end: "destroy" },
  ])("$desc: no call reaches a runtime", async ({ end }) => {
    const before = calls(primary, "ListContainers") + calls(vm, "ListContainers");
    await new Promise<void>((resolve) => {
      const session = h2connect("http://localhost", { createConnection: () => connect(proxy.socket) });
      session.on("error", () => {});
      const stream = session.request({
        ":method": "POST",
        ":path": "/runtime.v1.RuntimeService/ListContainers",
        "content-type": "application/grpc",
        te: "trailers",
      });
      stream.on("error", () => {});
      stream.write(envelope(100, new Uint8Array(10))); // promises 100 bytes, sends 10
      setTimeout(() => {
        if (end === "reset") stream.close(constants.NGHTTP2_CANCEL);
        else session.destroy();
        session.close();
        resolve();
      }, 50);
    });
    await Bun.sleep(100);
    expect(calls(primary, "ListContainers") + calls(vm, "ListContainers")).toBe(before);
    await nextCallWorks();
  });

  test("ends its stream after part of a message: InvalidArgument naming the length mismatch", async () => {
    const answer = await rawCall(
      proxy.socket,
      "/runtime.v1.RuntimeService/ListContainers",
      envelope(100, new Uint8Array(10)),
      { rawBody: true },
    );
    expect(Number(answer.status)).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(answer.message).toContain("gRPC message length 100 does not match the 10 bytes sent");
    await nextCallWorks();
  });

  test("hangs up while its call waits on the runtime: the runtime call is cancelled, not left running", async () => {
    primary.setDelay("ContainerStatus", 3000);
    try {
      const started = Date.now();
      await new Promise<void>((resolve) => {
        const session = h2connect("http://localhost", { createConnection: () => connect(proxy.socket) });
        session.on("error", () => {});
        const stream = session.request({
          ":method": "POST",
          ":path": "/runtime.v1.RuntimeService/ContainerStatus",
          "content-type": "application/grpc",
          te: "trailers",
        });
        stream.on("error", () => {});
        stream.end(envelope(3, Buffer.from([0x0a, 0x01, 0x78]))); // container_id "x"
        setTimeout(() => {
          session.destroy();
          resolve();
        }, 200);
      });
      await waitFor(
        async () => valueOf(await scrape(metrics), "criproxy_calls_in_flight") === 0,
        2000,
        "no call in flight",
      );
      expect(Date.now() - started).toBeLessThan(2500);
      expect(
        valueOf(await scrape(metrics), "criproxy_calls_total", {
          method: "ContainerStatus",
          backend: "primary",
          code: "Canceled",
        }),
      ).toBe(1);
    } finally {
      primary.setDelay("ContainerStatus", 0);
    }
    await nextCallWorks();
  });
});

describe("malformed protobuf to a routed method: InvalidArgument, nothing forwarded", () => {
  test.each([
    { desc: "a length past the end", path: "/runtime.v1.RuntimeService/ListContainers", body: [0x0a, 0xff, 0x01] },
    { desc: "an invalid wire type", path: "/runtime.v1.RuntimeService/ListContainers", body: [0x0f] },
    {
      desc: "a varint where the filter message should be",
      path: "/runtime.v1.RuntimeService/ListPodSandbox",
      body: [0x0a, 0x05, 0x08],
    },
    { desc: "a bad sandbox id field", path: "/runtime.v1.RuntimeService/PodSandboxStatus", body: [0x0a, 0x80] },
    {
      desc: "a broken RunPodSandbox config",
      path: "/runtime.v1.RuntimeService/RunPodSandbox",
      body: [0x0a, 0x03, 0x0a, 0x07, 0x00],
    },
    { desc: "a broken image spec", path: "/runtime.v1.ImageService/PullImage", body: [0x0a, 0x02, 0x0a] },
  ])("$desc", async ({ path, body }) => {
    const method = path.split("/").at(-1)!;
    const before = calls(primary, method) + calls(vm, method);
    const answer = await rawCall(proxy.socket, path, new Uint8Array(body));
    expect(Number(answer.status)).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(answer.message).not.toBe("");
    expect(calls(primary, method) + calls(vm, method)).toBe(before);
    await nextCallWorks();
  });
});

describe("ids whose prefix names no configured runtime go to the primary unchanged", () => {
  test.each([
    { desc: "an empty prefix", id: "__x" },
    { desc: "an unknown runtime", id: "nosuch__x" },
    { desc: "an upper-case name", id: "VM__x" },
    { desc: "a runtime's own id with __", id: "abc__def__ghi" },
  ])("$desc ($id): the primary sees it as sent, and its NotFound comes back", async ({ id }) => {
    const sandbox = await codeOf(kubelet.call("PodSandboxStatus", { podSandboxId: id }));
    expect(sandbox.code).toBe(grpcStatus.NOT_FOUND);
    expect(sandbox.details).toContain(id);
    expect((primary.calls.at(-1)!.request as { podSandboxId: string }).podSandboxId).toBe(id);
    const container = await codeOf(kubelet.call("ContainerStatus", { containerId: id }));
    expect(container.code).toBe(grpcStatus.NOT_FOUND);
    expect((primary.calls.at(-1)!.request as { containerId: string }).containerId).toBe(id);
    await nextCallWorks();
  });
});

describe("empty ids and names: a clear error naming the field, no runtime called", () => {
  test.each([
    { method: "PodSandboxStatus", request: { podSandboxId: "" }, error: "pod_sandbox_id is empty" },
    { method: "StopPodSandbox", request: { podSandboxId: "" }, error: "pod_sandbox_id is empty" },
    { method: "ContainerStatus", request: { containerId: "" }, error: "container_id is empty" },
    { method: "StartContainer", request: { containerId: "" }, error: "container_id is empty" },
    {
      method: "CreateContainer",
      request: { podSandboxId: "", config: { metadata: { name: "x" }, image: { image: "" } } },
      error: "pod_sandbox_id is empty",
    },
    { method: "PodSandboxStatus", request: { podSandboxId: "vm__" }, error: 'names runtime "vm" but no object' },
  ])("$method: $error", async ({ method, request, error }) => {
    const before = primary.calls.length + vm.calls.length;
    const r = await codeOf(kubelet.call(method, request));
    expect(r.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(r.details).toContain(error);
    expect(primary.calls.length + vm.calls.length).toBe(before);
    await nextCallWorks();
  });
});

describe("empty and odd image names", () => {
  test.each([
    { desc: "an empty image to pull", image: "", code: grpcStatus.INVALID_ARGUMENT, seenBy: "primary", as: "" },
    { desc: "a prefix with nothing after it", image: "vm/", code: grpcStatus.INVALID_ARGUMENT, seenBy: "vm", as: "" },
    {
      desc: "a prefix naming no runtime (a Docker Hub user)",
      image: "nosuch/busybox:1",
      code: grpcStatus.OK,
      seenBy: "primary",
      as: "nosuch/busybox:1",
    },
    { desc: "an upper-case prefix", image: "VM/busybox:1", code: grpcStatus.OK, seenBy: "primary", as: "VM/busybox:1" },
    {
      desc: "a registry with a port",
      image: "localhost:5000/x:1",
      code: grpcStatus.OK,
      seenBy: "primary",
      as: "localhost:5000/x:1",
    },
    { desc: "a leading slash", image: "/busybox:1", code: grpcStatus.OK, seenBy: "primary", as: "/busybox:1" },
    { desc: "an id-style prefix", image: "vm__x/y:1", code: grpcStatus.OK, seenBy: "primary", as: "vm__x/y:1" },
  ])("PullImage $desc ($image)", async ({ image, code, seenBy, as }) => {
    const r = await codeOf(kubelet.call("PullImage", { image: { image } }));
    expect(r.code).toBe(code);
    if (code !== grpcStatus.OK) expect(r.details).toContain("must not be empty");
    const runtime = seenBy === "vm" ? vm : primary;
    expect((runtime.calls.at(-1)!.request as { image: { image: string } }).image.image).toBe(as);
    await nextCallWorks();
  });

  test("ImageStatus of an empty or unknown name answers empty, as containerd does", async () => {
    for (const image of ["", "vm/", "vm/nope:1", "nope:1"]) {
      expect(await kubelet.call<{ image?: unknown }>("ImageStatus", { image: { image } })).not.toHaveProperty(
        "image.id",
      );
    }
    await nextCallWorks();
  });
});

// Known gap (routing core, src/core): a list filter naming `vm__` (vm, empty id) reaches vm as
// an empty filter, so vm answers with everything it has. It should be an empty answer (no
// object has that id), like filters naming two runtimes. When fixed this fails: make it a test.
test("a list filter naming a runtime but no object (vm__) answers nothing", async () => {
  const r = await kubelet.call<{ containers: unknown[] }>("ListContainers", { filter: { podSandboxId: "vm__" } });
  expect(r.containers).toEqual([]);
});
