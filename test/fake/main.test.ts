import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { ListContainersResponse, VersionResponse } from "../../src/gen/runtime/v1/api_pb.ts";
import { spawnFakeProcess } from "../support/fake-process.ts";
import { criClient } from "../support/grpc-client.ts";
import { tempSocket } from "../support/temp-socket.ts";

test("main.ts serves until SIGTERM, then exits 0 and removes its socket", async () => {
  const fake = await spawnFakeProcess({ socket: tempSocket("main"), name: "vm", pods: 3, containersPerPod: 2 });
  const cri = criClient(fake.socket, { deadlineMs: 5000 });
  try {
    expect((await cri.call<VersionResponse>("Version")).runtimeName).toBe("vm");
    expect((await cri.call<ListContainersResponse>("ListContainers")).containers).toHaveLength(6);
  } finally {
    cri.close();
  }
  expect(await fake.kill("SIGTERM")).toBe(0);
  expect(existsSync(fake.socket)).toBe(false);
});

test("a SIGKILLed fake leaves its socket; the next start replaces it", async () => {
  const socket = tempSocket("main");
  const first = await spawnFakeProcess({ socket });
  await first.kill("SIGKILL");
  expect(existsSync(socket)).toBe(true);
  const second = await spawnFakeProcess({ socket });
  const cri = criClient(socket, { deadlineMs: 5000 });
  expect((await cri.call<VersionResponse>("Version")).runtimeName).toBe("fake");
  cri.close();
  expect(await second.kill()).toBe(0);
});
