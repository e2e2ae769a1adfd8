// The reference: what a real containerd answers. Proxy tests compare their answers against these.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { status, type ServiceError } from "@grpc/grpc-js";
import type {
  ImageFsInfoResponse,
  ListContainersResponse,
  ListImagesResponse,
  ListPodSandboxResponse,
  StatusResponse,
  VersionResponse,
} from "../../src/gen/runtime/v1/api_pb.ts";
import { startContainerd } from "./containerd.ts";
import { criClient } from "./grpc-client.ts";
import { missing } from "./requires.ts";

const skip = missing("containerd");
const containerd = skip ? undefined : await startContainerd();
const cri = containerd ? criClient(containerd.socket, { deadlineMs: 5000 }) : undefined;
afterAll(async () => {
  cri?.close();
  await containerd?.stop();
});

describe.skipIf(skip)("a private containerd answers CRI v1", () => {
  const call = <O>(method: string, request?: object) => cri!.call<O>(method, request);

  test("Version names containerd and CRI v1", async () => {
    const v = await call<VersionResponse>("Version", { version: "v1" });
    expect(v).toMatchObject({
      runtimeName: "containerd",
      runtimeApiVersion: "v1",
      runtimeVersion: containerd!.version,
    });
  });

  test("Status: runtime ready; network not ready (no CNI config in our private dirs)", async () => {
    const s = await call<StatusResponse>("Status", {});
    const conditions = Object.fromEntries(s.status!.conditions.map((c) => [c.type, c.status]));
    expect(conditions).toEqual({ RuntimeReady: true, NetworkReady: false });
  });

  test("a fresh node lists no images, sandboxes or containers", async () => {
    expect((await call<ListImagesResponse>("ListImages", {})).images).toEqual([]);
    expect((await call<ListPodSandboxResponse>("ListPodSandbox", {})).items).toEqual([]);
    expect((await call<ListContainersResponse>("ListContainers", {})).containers).toEqual([]);
  });

  test("ImageFsInfo reports the snapshotter's filesystem inside our temp dir", async () => {
    const fs = await call<ImageFsInfoResponse>("ImageFsInfo", {});
    expect(fs.imageFilesystems).toHaveLength(1);
    expect(fs.imageFilesystems[0].fsId?.mountpoint.startsWith(containerd!.root)).toBe(true);
  });

  test("ContainerStatus of an unknown id is NotFound naming the id", async () => {
    const err = (await call("ContainerStatus", { containerId: "0123456789abcdef" }).catch((e) => e)) as ServiceError;
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.details).toContain("0123456789abcdef");
  });

  // containerd 1.6 predates these CRI methods: grpc-go's "unknown method" (Unimplemented),
  // the answer the proxy must pass through or work around; the fake's setUnimplemented mimics it.
  test.skipIf(!containerd?.version.startsWith("1.6."))("1.6: newer CRI methods are Unimplemented", async () => {
    for (const method of ["RuntimeConfig", "ListMetricDescriptors", "UpdatePodSandboxResources"]) {
      const err = (await call(method, {}).catch((e) => e)) as ServiceError;
      expect([method, err.code, err.details]).toEqual([
        method,
        status.UNIMPLEMENTED,
        `unknown method ${method} for service runtime.v1.RuntimeService`,
      ]);
    }
    const events = cri!.stream("GetContainerEvents");
    const err = await (async () => {
      for await (const _ of events) return undefined;
    })().catch((e) => e as ServiceError);
    expect(err?.code).toBe(status.UNIMPLEMENTED);
  });

  test("ctr talks to the same daemon; CRI state lives inside the temp dir", async () => {
    const plugins = await containerd!.ctr(["plugins", "ls"]);
    expect(plugins).toMatch(/io\.containerd\.grpc\.v1\s+cri\s+linux\/\w+\s+ok/);
    expect(existsSync(`${containerd!.root}/state/io.containerd.grpc.v1.cri`)).toBe(true);
  });
});
