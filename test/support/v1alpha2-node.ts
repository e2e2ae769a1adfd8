// A node whose named runtime speaks only CRI v1alpha2: a v1 primary fake, a v1alpha2 fake `vm`,
// criproxy in front (it finds vm's API by probing), and a kubelet-like client, once both
// runtimes' pods are listed. For the v1alpha2 tests (every method, and events).
import { type FakeRuntime, startFakeRuntime } from "../../src/fake/runtime.ts";
import { type CriClient, criClient } from "./grpc-client.ts";
import { type ProxyProcess, startProxy } from "./proxy-process.ts";
import { tempSocket } from "./temp-socket.ts";
import { waitFor } from "./wait.ts";

export interface V1alpha2Node {
  primary: FakeRuntime;
  vm: FakeRuntime;
  proxy: ProxyProcess;
  kubelet: CriClient;
  /** vm's pod, container and image as kubelet sees them (prefixed). */
  ids: { pod: string; container: string; image: string };
  stop(): Promise<void>;
}

export async function startV1alpha2Node(): Promise<V1alpha2Node> {
  const one = { pods: 1, containersPerPod: 1, images: 1 };
  const primary = await startFakeRuntime({ socket: tempSocket("a2-primary"), runtimeName: "primary-fake", ...one });
  const vm = await startFakeRuntime({
    socket: tempSocket("a2-vm"),
    runtimeName: "vm-v1alpha2",
    ...one,
    api: "v1alpha2",
  });
  const proxy = await startProxy(["--connect", `${primary.socket},vm:unix://${vm.socket}`, "-v", "1"]);
  const kubelet = criClient(proxy.socket);
  const stop = async () => {
    kubelet.close();
    await proxy.stop();
    await primary.stop();
    await vm.stop();
  };
  try {
    await waitFor(async () => (await kubelet.call<{ items: unknown[] }>("ListPodSandbox")).items.length === 2);
  } catch (e) {
    await stop();
    throw e;
  }
  const ids = {
    pod: `vm__${[...vm.state.sandboxes.keys()][0]}`,
    container: `vm__${[...vm.state.containers.keys()][0]}`,
    image: `vm/${[...vm.state.images.values()][0]!.repoTags[0]}`,
  };
  return { primary, vm, proxy, kubelet, ids, stop };
}
