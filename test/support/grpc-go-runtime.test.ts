// The grpc-go runtime answers what it was given, to grpc-go's own client: the named runtime's
// Version, lists of fixture containers, an answer of an exact size up to 16 MiB, and
// Unimplemented for the rest.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromBinary } from "@bufbuild/protobuf";
import {
  ListContainersResponseSchema,
  ListPodSandboxResponseSchema,
  VersionResponseSchema,
} from "../../src/gen/runtime/v1/api_pb.ts";
import { containerFixture, sandboxFixture } from "../../src/fake/fixtures.ts";
import { grpcGoClient } from "./grpc-go.ts";
import { paddedList } from "./grpc-go-runtime-answers.ts";
import { startGrpcGoRuntime, type GrpcGoRuntime } from "./grpc-go-runtime.ts";
import { missing } from "./requires.ts";
import { tempSocket } from "./temp-socket.ts";

const available = !missing("grpc-go");
const MiB = 1024 * 1024;
const SIZED = Math.round(15.9 * MiB);
let client: Awaited<ReturnType<typeof grpcGoClient>>;
let primary: GrpcGoRuntime;
let vm: GrpcGoRuntime;

const answer = async (rt: GrpcGoRuntime, method: string) => {
  const [r] = await client(rt.socket, [{ method: `/runtime.v1.RuntimeService/${method}` }], "localhost");
  expect(r).toMatchObject({ code: 0, failed: 0 });
  return Buffer.from(r.answers![0], "base64");
};

describe.skipIf(!available)("grpc-go runtime", () => {
  beforeAll(async () => {
    client = await grpcGoClient();
    // One after the other, so a failing second start leaves the first for afterAll to stop.
    primary = await startGrpcGoRuntime({ socket: tempSocket("gort-p"), containers: 10 });
    vm = await startGrpcGoRuntime({
      socket: tempSocket("gort-vm"),
      name: "vm",
      containers: 50,
      listContainersBytes: SIZED,
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([primary?.stop(), vm?.stop()]);
  });

  test("Version names the runtime it was started as", async () => {
    expect(fromBinary(VersionResponseSchema, await answer(vm, "Version"))).toMatchObject({
      runtimeName: "vm",
      runtimeApiVersion: "v1",
    });
    expect(fromBinary(VersionResponseSchema, await answer(primary, "Version")).runtimeName).toBe("grpc-go");
  });

  test("lists kubelet-shaped pods and containers with 64-hex ids, different in each runtime", async () => {
    const containers = fromBinary(ListContainersResponseSchema, await answer(primary, "ListContainers")).containers;
    const pods = fromBinary(ListPodSandboxResponseSchema, await answer(primary, "ListPodSandbox")).items;
    expect(containers).toHaveLength(10);
    expect(pods).toHaveLength(3); // 4 containers per pod
    for (const c of containers) {
      expect(c.id).toMatch(/^[0-9a-f]{64}$/);
      expect(pods.map((p) => p.id)).toContain(c.podSandboxId);
      expect(Object.keys(c.labels)).toEqual(
        expect.arrayContaining(["io.kubernetes.pod.name", "io.kubernetes.container.name"]),
      );
    }
    const vmIds = fromBinary(
      ListContainersResponseSchema,
      vm.answers.get("/runtime.v1.RuntimeService/ListContainers")!,
    ).containers.map((c) => c.id);
    expect(vmIds.filter((id) => containers.some((c) => c.id === id))).toEqual([]);
  });

  test("a ListContainers answer of an asked size arrives whole under grpc-go's 16 MiB limit", async () => {
    const bytes = await answer(vm, "ListContainers");
    expect(bytes.length).toBe(SIZED);
    expect(fromBinary(ListContainersResponseSchema, bytes).containers).toHaveLength(50);
  });

  test("a method it was not given is Unimplemented, a whole unknown service too", async () => {
    const results = await client(
      primary.socket,
      [
        { method: "/runtime.v1.RuntimeService/RemoveContainer" },
        { method: "/runtime.v1alpha2.RuntimeService/Version" },
      ],
      "localhost",
    );
    expect(results.map((r) => r.code)).toEqual([12, 12]);
  });
});

test("a padded list has exactly the asked size at every length, across the varints' 1-, 2- and 3-byte boundaries", () => {
  const pod = sandboxFixture(0, "", 1n);
  const containers = [containerFixture(pod, 0, 2n).container, containerFixture(pod, 1, 3n).container];
  const around = (x: number, n: number) => [...Array(2 * n).keys()].map((d) => x - n + d);
  const sizes = [...around(2000, 200), ...around(16_384 + 1800, 60), ...around(2 * MiB + 1800, 12), 4 * MiB, 8 * MiB];
  for (const size of sizes) {
    const bytes = paddedList(containers, size);
    expect({ size, got: bytes.length }).toEqual({ size, got: size });
    expect(fromBinary(ListContainersResponseSchema, bytes).containers.map((c) => c.id)).toEqual(
      containers.map((c) => c.id),
    );
  }
  expect(() => paddedList(containers, 100)).toThrow(/do not fit in 100 bytes/);
});
