// What every fake operation shares: state, events, identity, and a few helpers.
import { create } from "@bufbuild/protobuf";
import { ContainerEventResponseSchema, type ContainerEventType, type RuntimeConfig } from "../gen/runtime/v1/api_pb.ts";
import { toContainerStatus, toSandboxStatus } from "./convert.ts";
import type { EventHub } from "./event-hub.ts";
import { nowNanos } from "./ids.ts";
import type { FakeState } from "./state.ts";

/** Shared context of one fake runtime instance. */
export interface FakeContext {
  readonly state: FakeState;
  readonly events: EventHub;
  readonly runtimeName: string;
  readonly handlers: string[];
  /** Every UpdateRuntimeConfig received, in order. */
  readonly runtimeConfigs: RuntimeConfig[];
  /** Next pod IP suffix for RunPodSandbox. */
  nextIp: number;
}

/** Emit a container event the way containerd's CRI does: with the pod's status and its containers' statuses. */
export function emitContainerEvent(
  ctx: FakeContext,
  containerId: string,
  podId: string,
  type: ContainerEventType,
): void {
  const pod = ctx.state.sandboxes.get(podId);
  const containers = [...ctx.state.containers.values()].filter((c) => c.container.podSandboxId === podId);
  ctx.events.emit(
    create(ContainerEventResponseSchema, {
      containerId,
      containerEventType: type,
      createdAt: nowNanos(),
      podSandboxStatus: pod ? toSandboxStatus(pod) : undefined,
      containersStatuses: containers.map(toContainerStatus),
    }),
  );
}

/** Split a list into about three batches, so Stream* answers arrive in several messages. */
export function batches<T>(items: T[]): T[][] {
  const size = Math.max(1, Math.min(500, Math.ceil(items.length / 3)));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
