// The proxy in front of a real containerd (Debian's package): every read call answers through
// the proxy exactly as directly, and errors keep their codes. Under CI=true it must run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startContainerd, type Containerd } from "../support/containerd.ts";
import { criClient, type CriClient } from "../support/grpc-client.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { missing } from "../support/requires.ts";

const skip = missing("containerd");
let containerd: Containerd | undefined;
let proxy: ProxyProcess;
let direct: CriClient;
let viaProxy: CriClient;

beforeAll(async () => {
  if (skip) return;
  containerd = await startContainerd();
  proxy = await startProxy(["--connect", `unix://${containerd.socket}`]);
  direct = criClient(containerd.socket);
  viaProxy = criClient(proxy.socket);
}, 30_000);

afterAll(async () => {
  direct?.close();
  viaProxy?.close();
  await proxy?.stop();
  await containerd?.stop();
}, 30_000);

// ImageFsInfo carries the time it was measured.
const timeless = (m: unknown): unknown =>
  JSON.parse(JSON.stringify(m, (k, v) => (k === "timestamp" ? undefined : typeof v === "bigint" ? String(v) : v)));
const outcome = (p: Promise<unknown>) =>
  p.then(
    (v) => ({ ok: timeless(v) }),
    (e: { code: number; details: string }) => ({ code: e.code, details: e.details }),
  );

describe.skipIf(skip)("containerd through criproxy answers as containerd directly", () => {
  test.each([
    ["Version", {}],
    ["Status", {}],
    ["Status", { verbose: true }],
    ["ListImages", {}],
    ["ImageFsInfo", {}],
    ["ListPodSandbox", {}],
    ["ListContainers", {}],
    ["ListContainerStats", {}],
    ["ContainerStatus", { containerId: "no-such-container" }],
    ["PodSandboxStatus", { podSandboxId: "no-such-sandbox" }],
    ["ImageStatus", { image: { image: "docker.io/library/not-here:1" } }],
    ["RuntimeConfig", {}],
  ])("%s %j", async (method, request) => {
    const [a, b] = await Promise.all([outcome(direct.call(method, request)), outcome(viaProxy.call(method, request))]);
    expect(b).toEqual(a);
  });
});
