import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { existsSync } from "node:fs";
import {
  ContainerEventResponseSchema,
  ContainerEventType,
  ContainerState,
  PodSandboxState,
  type ContainerEventResponse,
} from "../../src/gen/runtime/v1/api_pb.ts";
import { connectClients, type CriConnectClients } from "../support/connect-client.ts";
import { rawCall } from "../support/raw-http2.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { waitFor } from "../support/wait.ts";

describe("fake runtime, pre-filled with 250 pods x 4 containers", () => {
  let fake: FakeRuntime;
  let cri: CriConnectClients;
  beforeAll(async () => {
    fake = await startFakeRuntime({
      socket: tempSocket("fake"),
      runtimeName: "vm",
      pods: 250,
      images: 12,
      handlers: ["", "kata"],
    });
    cri = connectClients(fake.socket);
  });
  afterAll(async () => {
    cri.close();
    await fake.stop();
  });

  test("Version and Status name the runtime and its handlers", async () => {
    expect(await cri.runtime.version({})).toMatchObject({ runtimeName: "vm", runtimeApiVersion: "v1" });
    const status = await cri.runtime.status({});
    expect(status.status?.conditions.map((c) => [c.type, c.status])).toEqual([
      ["RuntimeReady", true],
      ["NetworkReady", true],
    ]);
    expect(status.runtimeHandlers.map((h) => h.name)).toEqual(["", "kata"]);
  });

  test("ListContainers answers all 1000 containers, with kubelet labels and 64-hex ids", async () => {
    const { containers } = await cri.runtime.listContainers({});
    expect(containers).toHaveLength(1000);
    const c = containers[0];
    expect(c.id).toMatch(/^[0-9a-f]{64}$/);
    expect(c.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(c.labels["io.kubernetes.pod.name"]).toBeTruthy();
    expect(c.annotations["io.kubernetes.container.restartCount"]).toBe("0");
    expect(c.createdAt).toBeGreaterThan(0n);
  });

  test("List filters: pod sandbox id, state, label selector, id prefix", async () => {
    const { items } = await cri.runtime.listPodSandbox({});
    expect(items).toHaveLength(250);
    const pod = items[7];
    const byPod = await cri.runtime.listContainers({ filter: { podSandboxId: pod.id } });
    expect(byPod.containers).toHaveLength(4);
    const byLabel = await cri.runtime.listContainers({
      filter: { labelSelector: { "io.kubernetes.pod.uid": pod.metadata!.uid } },
    });
    expect(byLabel.containers.map((c) => c.id).sort()).toEqual(byPod.containers.map((c) => c.id).sort());
    const byId = await cri.runtime.listContainers({ filter: { id: byPod.containers[0].id.slice(0, 20) } });
    expect(byId.containers.map((c) => c.id)).toEqual([byPod.containers[0].id]);
    expect(
      (await cri.runtime.listContainers({ filter: { state: { state: ContainerState.CONTAINER_EXITED } } })).containers,
    ).toEqual([]);
    expect((await cri.runtime.listPodSandbox({ filter: { id: "unknown" } })).items).toEqual([]);
  });

  test("Stream variants send the list in several messages", async () => {
    let messages = 0;
    let total = 0;
    for await (const m of cri.runtime.streamContainers({})) {
      messages++;
      total += m.containers.length;
    }
    expect(messages).toBeGreaterThan(1);
    expect(total).toBe(1000);
  });

  test("images, stats and metrics return numbers", async () => {
    expect((await cri.image.listImages({})).images).toHaveLength(12);
    const fs = await cri.image.imageFsInfo({});
    expect(fs.imageFilesystems[0].usedBytes?.value).toBeGreaterThan(0n);
    expect((await cri.image.imageStatus({ image: { image: "nginx:1.25.3" } })).image?.repoTags).toEqual([
      "docker.io/library/nginx:1.25.3",
    ]);
    expect((await cri.image.imageStatus({ image: { image: "missing:1" } })).image).toBeUndefined();
    const stats = await cri.runtime.listContainerStats({});
    expect(stats.stats).toHaveLength(1000);
    expect(stats.stats[0].memory?.workingSetBytes?.value).toBeGreaterThan(0n);
    expect((await cri.runtime.listPodSandboxStats({})).stats[0].linux?.containers).toHaveLength(4);
    expect((await cri.runtime.listMetricDescriptors({})).descriptors.length).toBeGreaterThan(0);
    expect((await cri.runtime.listPodSandboxMetrics({})).podMetrics).toHaveLength(250);
  });
});

describe("fake runtime, lifecycle and controls", () => {
  let fake: FakeRuntime;
  let cri: CriConnectClients;
  beforeAll(async () => {
    fake = await startFakeRuntime({ socket: tempSocket("fake") });
    cri = connectClients(fake.socket);
  });
  afterAll(async () => {
    cri.close();
    await fake.stop();
  });

  test("pull, run, create, start, exec, stop, remove: state changes and events", async () => {
    const events: ContainerEventResponse[] = [];
    const abort = new AbortController();
    const reading = (async () => {
      try {
        for await (const e of cri.runtime.getContainerEvents({}, { signal: abort.signal })) events.push(e);
      } catch {}
    })();
    await waitFor(() => fake.eventSubscribers > 0, 5000, "the stream subscribed");

    const { imageRef } = await cri.image.pullImage({ image: { image: "busybox:1.36" } });
    expect(imageRef).toMatch(/^sha256:/);
    const config = { metadata: { name: "web-0", namespace: "default", uid: "u-1" }, logDirectory: "/var/log/pods/x" };
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
    const { containerId } = await cri.runtime.createContainer({
      podSandboxId,
      config: { metadata: { name: "app" }, image: { image: "busybox:1.36" }, logPath: "app/0.log" },
      sandboxConfig: config,
    });
    await cri.runtime.startContainer({ containerId });
    const exec = await cri.runtime.execSync({ containerId, cmd: ["echo", "hi"] });
    expect(new TextDecoder().decode(exec.stdout)).toBe("echo hi\n");
    expect((await cri.runtime.exec({ containerId, cmd: ["sh"] })).url).toMatch(/^\/cri\/exec\/\S+$/);
    expect((await cri.runtime.containerStatus({ containerId })).status?.state).toBe(ContainerState.CONTAINER_RUNNING);
    await cri.runtime.stopPodSandbox({ podSandboxId });
    expect(fake.state.sandboxes.get(podSandboxId)?.sandbox.state).toBe(PodSandboxState.SANDBOX_NOTREADY);
    expect(fake.state.containers.get(containerId)?.container.state).toBe(ContainerState.CONTAINER_EXITED);
    await cri.runtime.removePodSandbox({ podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId }); // idempotent
    expect(fake.state.sandboxes.size).toBe(0);

    await waitFor(() => events.length >= 8, 5000, "8 events");
    abort.abort();
    await reading;
    await waitFor(() => fake.eventSubscribers === 0, 5000, "the server saw the cancel");
    expect(
      events.map((e) => [e.containerId === podSandboxId ? "pod" : "ctr", ContainerEventType[e.containerEventType]]),
    ).toEqual([
      ["pod", "CONTAINER_CREATED_EVENT"],
      ["pod", "CONTAINER_STARTED_EVENT"],
      ["ctr", "CONTAINER_CREATED_EVENT"],
      ["ctr", "CONTAINER_STARTED_EVENT"],
      ["ctr", "CONTAINER_STOPPED_EVENT"],
      ["pod", "CONTAINER_STOPPED_EVENT"],
      ["ctr", "CONTAINER_DELETED_EVENT"],
      ["pod", "CONTAINER_DELETED_EVENT"],
    ]);
    expect(fake.calls.map((c) => c.method)).toContain("CreateContainer");
  });

  test("emit() reaches a GetContainerEvents subscriber", async () => {
    const before = fake.eventSubscribers;
    const stream = cri.runtime.getContainerEvents({})[Symbol.asyncIterator]();
    const first = stream.next();
    await waitFor(() => fake.eventSubscribers !== before, 5000, "the subscribers changed");
    fake.emit(
      create(ContainerEventResponseSchema, {
        containerId: "c1",
        containerEventType: ContainerEventType.CONTAINER_STARTED_EVENT,
      }),
    );
    expect((await first).value?.containerId).toBe("c1");
    await stream.return?.();
  });

  test("unknown ids are NotFound naming the id", async () => {
    const err = await cri.runtime.containerStatus({ containerId: "deadbeef" }).catch((e) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.NotFound });
    expect((err as ConnectError).rawMessage).toContain('"deadbeef"');
  });

  test("failNext is one-shot and queueable; setUnimplemented; calls are recorded", async () => {
    fake.failNext("Version", new ConnectError("boom 1", Code.Unavailable));
    fake.failNext("Version", new ConnectError("boom 2", Code.Internal));
    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push(
        await cri.runtime.version({}).then(
          () => "ok",
          (e) => Code[ConnectError.from(e).code],
        ),
      );
    expect(codes).toEqual(["Unavailable", "Internal", "ok"]);
    fake.setUnimplemented("RuntimeConfig");
    expect(await cri.runtime.runtimeConfig({}).catch((e) => ConnectError.from(e).code)).toBe(Code.Unimplemented);
    expect(fake.calls.at(-1)).toMatchObject({ method: "RuntimeConfig" });
  });

  test("setDelay answers late and respects the client's deadline", async () => {
    fake.setDelay("ListImages", 2000);
    const started = performance.now();
    const err = await cri.image.listImages({}, { timeoutMs: 100 }).catch((e) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.DeadlineExceeded });
    expect(performance.now() - started).toBeLessThan(1000);
    fake.setDelay("ListImages", 50);
    await cri.image.listImages({});
    expect(performance.now() - started).toBeGreaterThan(50);
    fake.setDelay("ListImages", 0);
  });

  test("a grpc-timeout past setTimeout's range (99999999S, a fuzz input) is no deadline, not an instant one", async () => {
    fake.setDelay("ListImages", 30);
    const answer = await rawCall(fake.socket, "/runtime.v1.ImageService/ListImages", new Uint8Array(0), {
      headers: { "grpc-timeout": "99999999S" },
    });
    fake.setDelay("ListImages", 0);
    expect([answer.status, answer.message]).toEqual(["0", ""]);
  });
});

test("stop() ends event streams and removes the socket", async () => {
  const fake = await startFakeRuntime({ socket: tempSocket("fake") });
  const cri = connectClients(fake.socket);
  const stream = cri.runtime.getContainerEvents({})[Symbol.asyncIterator]();
  const next = stream.next();
  await waitFor(() => fake.eventSubscribers > 0, 5000, "the stream subscribed");
  await fake.stop();
  expect((await next.catch(() => ({ done: true }))).done).toBe(true);
  expect(existsSync(fake.socket)).toBe(false);
  cri.close();
});
