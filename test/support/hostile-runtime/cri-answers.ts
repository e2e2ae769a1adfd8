// Valid CRI answers for the hostile runtime, encoded with protobuf-es: a small node of its own
// (pods, containers, events) so a test can tell its objects from the other runtime's.
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { createHash } from "node:crypto";
import { methodTable } from "../../../src/core/methods.ts";
import { ContainerEventType, ContainerState, PodSandboxState } from "../../../src/gen/runtime/v1/api_pb.ts";
import type { ScriptedAnswer } from "./hostile-runtime.ts";

/** The :path of a RuntimeService or ImageService method by rpc name. */
export function pathOf(method: string): string {
  for (const [path, row] of methodTable) if (row.method.name === method) return path;
  throw new Error(`no CRI method ${method}`);
}

export interface HostileWorld {
  /** Sandbox ids as the runtime itself names them. */
  readonly pods: readonly string[];
  readonly containers: readonly string[];
  /** Container ids of the events GetContainerEvents sends before it waits. */
  readonly eventContainers: readonly string[];
  /** Every method's answer: the world's objects where it has some, else an empty message (no messages for streams). */
  readonly answers: Readonly<Record<string, ScriptedAnswer>>;
}

const id = (what: string) => createHash("sha256").update(`hostile:${what}`).digest("hex");

/** A node of `pods` READY sandboxes with `containersPerPod` RUNNING containers each. */
export function hostileWorld(pods = 3, containersPerPod = 2): HostileWorld {
  const createdAt = 1_700_000_000_000_000_000n;
  const sandboxes = Array.from({ length: pods }, (_, i) => ({
    id: id(`pod${i}`),
    metadata: { name: `hostile-${i}`, uid: id(`uid${i}`).slice(0, 32), namespace: "default", attempt: 0 },
    state: PodSandboxState.SANDBOX_READY,
    createdAt,
    labels: { "io.kubernetes.pod.name": `hostile-${i}` },
  }));
  const containers = sandboxes.flatMap((p, i) =>
    Array.from({ length: containersPerPod }, (_, j) => ({
      id: id(`ctr${i}.${j}`),
      podSandboxId: p.id,
      metadata: { name: `c${j}`, attempt: 0 },
      image: { image: "docker.io/library/busybox:1.36" },
      imageRef: `sha256:${id("image")}`,
      state: ContainerState.CONTAINER_RUNNING,
      createdAt,
    })),
  );
  const half = Math.ceil(sandboxes.length / 2);
  const events = containers
    .slice(0, 2)
    .map((c) => ({ containerId: c.id, containerEventType: ContainerEventType.CONTAINER_STARTED_EVENT, createdAt }));
  const specific: Record<string, ScriptedAnswer> = {
    [pathOf("Version")]: unary("Version", {
      version: "0.1.0",
      runtimeName: "hostile",
      runtimeVersion: "1.0",
      runtimeApiVersion: "v1",
    }),
    [pathOf("Status")]: unary("Status", {
      status: {
        conditions: [
          { type: "RuntimeReady", status: true },
          { type: "NetworkReady", status: true },
        ],
      },
    }),
    [pathOf("ListPodSandbox")]: unary("ListPodSandbox", { items: sandboxes }),
    [pathOf("PodSandboxStatus")]: unary("PodSandboxStatus", {
      status: { ...sandboxes[0], network: { ip: "10.88.0.9" } },
    }),
    [pathOf("ListContainers")]: unary("ListContainers", { containers }),
    [pathOf("ContainerStatus")]: unary("ContainerStatus", { status: { ...containers[0] } }),
    // Two messages, so "after some data" leaves a part of the list sent.
    [pathOf("StreamPodSandboxes")]: streamed("StreamPodSandboxes", [
      { podSandboxes: sandboxes.slice(0, half) },
      { podSandboxes: sandboxes.slice(half) },
    ]),
    [pathOf("StreamContainers")]: streamed("StreamContainers", [
      { containers: containers.slice(0, 1) },
      { containers: containers.slice(1) },
    ]),
    [pathOf("GetContainerEvents")]: { ...streamed("GetContainerEvents", events), open: true },
  };
  const answers: Record<string, ScriptedAnswer> = {};
  for (const [path, row] of methodTable) {
    answers[path] =
      specific[path] ?? (row.streaming ? { messages: [], stream: true } : { messages: [new Uint8Array(0)] });
  }
  return {
    pods: sandboxes.map((p) => p.id),
    containers: containers.map((c) => c.id),
    eventContainers: events.map((e) => e.containerId),
    answers,
  };
}

function outputOf(method: string): DescMessage {
  return methodTable.get(pathOf(method))!.method.output;
}

function encode(method: string, init: object): Uint8Array {
  const schema = outputOf(method);
  return toBinary(schema, create(schema, init as MessageInitShape<typeof schema>));
}

function unary(method: string, init: object): ScriptedAnswer {
  return { messages: [encode(method, init)] };
}

function streamed(method: string, inits: object[]): ScriptedAnswer {
  return { messages: inits.map((i) => encode(method, i)), stream: true };
}
