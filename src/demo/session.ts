// The demo: two in-process fake runtimes (a primary speaking CRI v1 and `vm.example`, which
// speaks only v1alpha2 like runtimes built before 2022), the real proxy between, and a short
// kubelet-like session, so a newcomer sees routing with no runtime installed.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configFromFlags } from "../config/config.ts";
import { startDaemon } from "../daemon/daemon.ts";
import { startFakeRuntime, type FakeRuntime } from "../fake/runtime.ts";
import { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import { createLogger } from "../log/logger.ts";

const VM = "vm.example";

/** Runs the demo session; `say` prints the narration. Returns the number of calls made. */
export async function runDemo(say: (line: string) => void, verbosity = 3): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "criproxy-demo-"));
  const sockets = { primary: join(dir, "primary.sock"), vm: join(dir, "vm.sock"), proxy: join(dir, "criproxy.sock") };
  let vm: FakeRuntime | undefined;
  const primary = await startFakeRuntime({
    socket: sockets.primary,
    runtimeName: "fake-containerd",
    pods: 1,
    images: 1,
  });
  vm = await startFakeRuntime({ socket: sockets.vm, runtimeName: "fake-vm-runtime", api: "v1alpha2" });
  const config = configFromFlags({
    connect: `${sockets.primary},${VM}:unix://${sockets.vm}`,
    listen: sockets.proxy,
    v: String(verbosity),
    "stale-grace": "1m",
  });
  const daemon = await startDaemon(config, createLogger({ v: verbosity, write: (line) => process.stdout.write(line) }));
  const sessions = new Http2SessionManager(
    "http://localhost",
    {},
    { createConnection: () => connect(sockets.proxy), maxSessionMemory: 64 },
  );
  const transport = createGrpcTransport({ baseUrl: "http://localhost", sessionManager: sessions });
  const runtime = createClient(RuntimeService, transport);
  const images = createClient(ImageService, transport);
  let calls = 0;
  const count = <T>(p: Promise<T>) => (calls++, p);
  const listPods = async () =>
    (await count(runtime.listPodSandbox({}))).items.map((p) => `${p.metadata?.name ?? "?"} (${p.id.slice(0, 18)}…)`);
  try {
    say(`\n== criproxy demo: kubelet -> criproxy (${sockets.proxy}) -> primary + "${VM}"`);
    await waitReady(daemon.backends);
    const v = await count(runtime.version({}));
    say(`== Version answers from the primary: ${v.runtimeName} ${v.runtimeVersion}`);
    say(
      `== CRI APIs found by probing: primary speaks ${daemon.backends[0]!.api}, ${VM} speaks ${daemon.backends[1]!.api} (kubelet's v1 calls reach it renamed)`,
    );

    say(`\n== Two pods: "web" on the primary, "vm-app" on ${VM} (annotation kubernetes.io/target-runtime)`);
    const web = await count(
      runtime.runPodSandbox({ config: { metadata: { name: "web", namespace: "demo", uid: "u-web" } } }),
    );
    const vmPod = await count(
      runtime.runPodSandbox({
        config: {
          metadata: { name: "vm-app", namespace: "demo", uid: "u-vm" },
          annotations: { "kubernetes.io/target-runtime": VM },
        },
      }),
    );
    await count(images.pullImage({ image: { image: "docker.io/library/nginx:1.27" } }));
    await count(images.pullImage({ image: { image: `${VM}/cirros:0.6` } }));
    for (const [pod, name, image] of [
      [web.podSandboxId, "nginx", "docker.io/library/nginx:1.27"],
      [vmPod.podSandboxId, "guest", `${VM}/cirros:0.6`],
    ]) {
      const c = await count(
        runtime.createContainer({ podSandboxId: pod, config: { metadata: { name }, image: { image } } }),
      );
      await count(runtime.startContainer({ containerId: c.containerId }));
    }

    say(`\n== One merged ListPodSandbox: ${(await listPods()).join(", ")}`);
    const cs = await count(runtime.listContainers({}));
    say(
      `== One merged ListContainers: ${cs.containers.map((c) => `${c.metadata?.name} on ${c.id.startsWith(`${VM}__`) ? VM : "primary"}`).join(", ")}`,
    );

    say(`\n== ${VM} stops (as its DaemonSet pod restarts): its pod stays listed from memory`);
    const vmState = vm.state; // a runtime that restarts keeps its pods
    await vm.stop();
    vm = undefined;
    await waitState(daemon.backends[1], (s) => s !== "ready");
    say(`== ListPodSandbox while ${VM} is away: ${(await listPods()).join(", ")}`);

    say(`\n== ${VM} is back: live answers again`);
    vm = await startFakeRuntime({
      socket: sockets.vm,
      runtimeName: "fake-vm-runtime",
      state: vmState,
      api: "v1alpha2",
    });
    await waitState(daemon.backends[1], (s) => s === "ready");
    say(`== ListPodSandbox: ${(await listPods()).join(", ")}`);

    const methods = await count(runtime.listMetricDescriptors({}));
    say(
      `== ListMetricDescriptors, which v1alpha2 lacks: ${methods.descriptors.length} descriptors from the primary; ${VM} is left out, not an error`,
    );

    const onAlpha = vm.calls.filter((c) => c.service.startsWith("runtime.v1alpha2.")).length;
    const byRuntime = `primary got ${primary.calls.length} calls, ${VM} got ${vm.calls.length} (${onAlpha} on runtime.v1alpha2) since it came back`;
    say(`\n== Summary: ${calls} kubelet calls through one socket; ${byRuntime}. Done.`);
    return calls;
  } finally {
    sessions.abort();
    await daemon.stop();
    await vm?.stop();
    await primary.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

type State = "connecting" | "ready" | "down";

async function waitState(b: { state: State }, ok: (s: State) => boolean, ms = 5000): Promise<void> {
  for (const until = Date.now() + ms; !ok(b.state) && Date.now() < until; ) await Bun.sleep(20);
}

async function waitReady(backends: readonly { state: State }[]): Promise<void> {
  for (const b of backends) await waitState(b, (s) => s === "ready");
}
