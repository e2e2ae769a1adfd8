import { afterAll, beforeAll, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import type { ServiceError } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import {
  ContainerEventResponseSchema,
  ContainerEventType,
  VersionRequestSchema,
  type ContainerEventResponse,
  type ListContainersResponse,
  type StreamContainersResponse,
  type VersionResponse,
} from "../../src/gen/runtime/v1/api_pb.ts";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { criClient, type CriClient } from "./grpc-client.ts";
import { tempSocket } from "./temp-socket.ts";
import { waitFor } from "./wait.ts";

let fake: FakeRuntime;
let cri: CriClient;
beforeAll(async () => {
  fake = await startFakeRuntime({ socket: tempSocket("grpc"), runtimeName: "fake", pods: 250 });
  // The percent-encoded socket path grpc-go and crictl send as :authority.
  cri = criClient(fake.socket, { authority: encodeURIComponent(fake.socket), deadlineMs: 5000 });
});
afterAll(async () => {
  cri.close();
  await fake.stop();
});

test("unary calls decode into generated messages", async () => {
  const version = await cri.call<VersionResponse>("Version", { version: "v1" });
  expect(version).toMatchObject({ $typeName: "runtime.v1.VersionResponse", runtimeName: "fake" });
  expect(fake.calls.at(-1)).toMatchObject({ method: "Version", request: { version: "v1" } });
});

test("a 1000-container list arrives whole", async () => {
  const list = await cri.call<ListContainersResponse>("ListContainers", {});
  expect(list.containers).toHaveLength(1000);
});

test("errors reject with a ServiceError carrying code and details", async () => {
  const err = (await cri.call("ContainerStatus", { containerId: "nope" }).catch((e) => e)) as ServiceError;
  expect(err.code).toBe(status.NOT_FOUND);
  expect(err.details).toContain('"nope"');
});

test("server streams iterate, and cancel() ends an open stream quietly", async () => {
  let total = 0;
  for await (const m of cri.stream<StreamContainersResponse>("StreamContainers")) total += m.containers.length;
  expect(total).toBe(1000);

  const events = cri.stream<ContainerEventResponse>("GetContainerEvents");
  const got: ContainerEventResponse[] = [];
  const reading = (async () => {
    for await (const e of events) got.push(e);
  })();
  await waitFor(() => fake.eventSubscribers > 0, 5000, "the stream subscribed");
  fake.emit(
    create(ContainerEventResponseSchema, {
      containerId: "c1",
      containerEventType: ContainerEventType.CONTAINER_STOPPED_EVENT,
    }),
  );
  await waitFor(() => got.length > 0, 5000, "an event");
  events.cancel();
  await reading;
  expect(got.map((e) => e.containerId)).toEqual(["c1"]);
});

test("callRaw sends bytes to any path; an unknown method is Unimplemented", async () => {
  const body = toBinary(VersionRequestSchema, create(VersionRequestSchema, { version: "v1" }));
  expect((await cri.callRaw("/runtime.v1.RuntimeService/Version", body)).length).toBeGreaterThan(0);
  const err = (await cri.callRaw("/runtime.v1.RuntimeService/NoSuchMethod", body).catch((e) => e)) as ServiceError;
  expect(err.code).toBe(status.UNIMPLEMENTED);
});
