// A proxy process in front of the hostile runtime and the built-in fake, with the hostile one
// as the primary or as the named runtime "vm": the setting of every hostile-runtime fault test.
import { startFakeRuntime, type FakeRuntime } from "../../../src/fake/runtime.ts";
import { criClient, type CriClient } from "../grpc-client.ts";
import { startProxy, type ProxyProcess } from "../proxy-process.ts";
import { tempSocket } from "../temp-socket.ts";
import { waitFor } from "../wait.ts";
import { hostileWorld, type HostileWorld } from "./cri-answers.ts";
import { startHostileRuntime, type HostileRuntime } from "./hostile-runtime.ts";

export type Position = "primary" | "named";

/** The named runtime's name in both positions. */
export const NAMED = "vm";
const RECOVER_MS = 15_000;
/** The named runtime's fan-out budget here (injected: the default 5 s would only make the suite slow). */
export const TOPOLOGY_BUDGET_MS = 2000;
/** A stream the proxy leaves open at the runtime ends at the latest with kubelet's deadline (10 s in these tests). */
const LEAK_MS = 12_000;

export interface Topology {
  readonly position: Position;
  readonly hostile: HostileRuntime;
  readonly world: HostileWorld;
  readonly fake: FakeRuntime;
  readonly proxy: ProxyProcess;
  /** How the proxy names the hostile runtime in errors: `primary` or `vm`. */
  readonly label: string;
  /** Object ids as kubelet sees them (prefixed when their runtime is the named one). */
  readonly hostilePods: readonly string[];
  readonly hostileContainers: readonly string[];
  readonly fakePods: readonly string[];
  readonly fakeContainers: readonly string[];
  /** A kubelet stand-in with a deadline per call (close it after use). */
  kubelet(deadlineMs?: number): CriClient;
  /**
   * Behaviours cleared; waits until the runtime holds no stream (a leak of the last case ends by
   * kubelet's deadline), the proxy answers Version, routes to the hostile runtime, and lists every object live.
   */
  recover(): Promise<void>;
  stop(): Promise<void>;
}

export interface TopologyOptions {
  /** Extra proxy flags (e.g. --stale-grace). */
  readonly proxyArgs?: readonly string[];
  /** Wait until merged lists carry both runtimes' objects (default true). */
  readonly warm?: boolean;
  /** Behaviours to set on the hostile runtime before the proxy starts. */
  readonly before?: (h: HostileRuntime) => Promise<void>;
}

/** Starts the hostile runtime, the fake (2 pods × 2 containers) and the proxy; stops them all if a start fails. */
export async function startTopology(position: Position, opts: TopologyOptions = {}): Promise<Topology> {
  const world = hostileWorld();
  const started: { stop(): Promise<unknown> }[] = [];
  try {
    const hostile = await startHostileRuntime(tempSocket("hostile"), world.answers);
    started.push(hostile);
    await opts.before?.(hostile);
    const fake = await startFakeRuntime({ socket: tempSocket("hostile-fake"), pods: 2, containersPerPod: 2 });
    started.push(fake);
    const [primary, named] = position === "primary" ? [hostile.socket, fake.socket] : [fake.socket, hostile.socket];
    const proxy = await startProxy([
      "--connect",
      `${primary},${NAMED}:${named}`,
      "--connect-timeout",
      "2s",
      "--fan-out-budget",
      `${TOPOLOGY_BUDGET_MS}ms`,
      "--probe-interval",
      "100ms",
      "-v",
      "2",
      ...(opts.proxyArgs ?? []),
    ]);
    started.push(proxy);
    const asSeen = (ids: Iterable<string>, named: boolean) => [...ids].map((id) => (named ? `${NAMED}__${id}` : id));
    const topo: Topology = {
      position,
      hostile,
      world,
      fake,
      proxy,
      label: position === "primary" ? "primary" : NAMED,
      hostilePods: asSeen(world.pods, position === "named"),
      hostileContainers: asSeen(world.containers, position === "named"),
      fakePods: asSeen(fake.state.sandboxes.keys(), position === "primary"),
      fakeContainers: asSeen(fake.state.containers.keys(), position === "primary"),
      kubelet: (deadlineMs = 10_000) => criClient(proxy.socket, { deadlineMs }),
      recover: () => recover(topo),
      async stop() {
        await proxy.stop();
        await Promise.all([hostile.stop(), fake.stop()]);
      },
    };
    if (opts.warm ?? true) await waitUntilListed(topo);
    return topo;
  } catch (e) {
    await Promise.all(started.map((s) => s.stop().catch(() => {})));
    throw e;
  }
}

/** Every pod id kubelet sees in a ListPodSandbox answer. */
export async function listedPods(kubelet: CriClient): Promise<string[]> {
  return (await kubelet.call<{ items: { id: string }[] }>("ListPodSandbox")).items.map((p) => p.id);
}

/** Every container id kubelet sees in a ListContainers answer. */
export async function listedContainers(kubelet: CriClient): Promise<string[]> {
  return (await kubelet.call<{ containers: { id: string }[] }>("ListContainers")).containers.map((c) => c.id);
}

/** The same ids, order aside. */
export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

async function waitUntilListed(topo: Topology): Promise<void> {
  const kubelet = topo.kubelet(5000);
  try {
    await waitFor(
      async () =>
        sameIds(await listedPods(kubelet), [...topo.hostilePods, ...topo.fakePods]) &&
        sameIds(await listedContainers(kubelet), [...topo.hostileContainers, ...topo.fakeContainers]),
      RECOVER_MS,
      `both runtimes listed live through the proxy (${topo.position})`,
    );
  } finally {
    kubelet.close();
  }
}

async function recover(topo: Topology): Promise<void> {
  await topo.hostile.normal();
  await waitFor(
    async () => (await topo.hostile.stats()).open === 0,
    LEAK_MS,
    "the hostile runtime holds no stream from the last case",
  );
  if (topo.proxy.proc.exitCode !== null)
    throw new Error(`the proxy exited (${topo.proxy.proc.exitCode}):\n${topo.proxy.log().slice(-2000)}`);
  const kubelet = topo.kubelet(3000);
  try {
    await waitFor(async () => (await kubelet.call("Version"), true), RECOVER_MS, "the proxy answers Version");
    // A call routed to the hostile runtime alone succeeds only once the proxy has it ready again.
    await waitFor(
      async () => (await kubelet.call("PodSandboxStatus", { podSandboxId: topo.hostilePods[0] }), true),
      RECOVER_MS,
      "the hostile runtime is routed to again",
    );
  } finally {
    kubelet.close();
  }
  await waitUntilListed(topo);
}
