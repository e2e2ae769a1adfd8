// Pod sandbox operations of the fake RuntimeService (containerd's sandbox_*.go family).
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  ContainerEventType,
  ContainerState,
  PodSandboxSchema,
  PodSandboxState,
  type RuntimeService,
} from "../gen/runtime/v1/api_pb.ts";
import { toSandboxStatus } from "./convert.ts";
import { batches, emitContainerEvent, type FakeContext } from "./fake-context.ts";
import { filterSandboxes } from "./filters.ts";
import { newId, nowNanos, streamToken } from "./ids.ts";
import { getSandbox, lookupSandbox } from "./state.ts";

/** Stop every container of a sandbox, then the sandbox; idempotent. */
export function stopSandbox(ctx: FakeContext, podId: string): void {
  const pod = getSandbox(ctx.state, podId);
  for (const c of ctx.state.containers.values()) {
    if (c.container.podSandboxId !== pod.sandbox.id || c.container.state === ContainerState.CONTAINER_EXITED) continue;
    const wasRunning = c.container.state === ContainerState.CONTAINER_RUNNING;
    c.container.state = ContainerState.CONTAINER_EXITED;
    c.finishedAt = nowNanos();
    // A container stopped with its pod dies of SIGKILL after the grace period in the worst case.
    c.exitCode = wasRunning ? 137 : 0;
    c.reason = wasRunning ? "Error" : "Completed";
    emitContainerEvent(ctx, c.container.id, pod.sandbox.id, ContainerEventType.CONTAINER_STOPPED_EVENT);
  }
  if (pod.sandbox.state === PodSandboxState.SANDBOX_NOTREADY) return;
  pod.sandbox.state = PodSandboxState.SANDBOX_NOTREADY;
  emitContainerEvent(ctx, pod.sandbox.id, pod.sandbox.id, ContainerEventType.CONTAINER_STOPPED_EVENT);
}

/** The sandbox half of the fake RuntimeService. */
export function sandboxService(ctx: FakeContext): Partial<ServiceImpl<typeof RuntimeService>> {
  const { state } = ctx;
  return {
    runPodSandbox(req) {
      const config = req.config;
      if (!config?.metadata?.name) throw new ConnectError("sandbox config must include metadata", Code.InvalidArgument);
      if (!ctx.handlers.includes(req.runtimeHandler)) {
        // containerd's wording; it reaches kubelet as Unknown.
        throw new ConnectError(
          `failed to get sandbox runtime: no runtime for "${req.runtimeHandler}" is configured`,
          Code.Unknown,
        );
      }
      const n = ctx.nextIp++;
      const sandbox = create(PodSandboxSchema, {
        id: newId(),
        metadata: config.metadata,
        state: PodSandboxState.SANDBOX_READY,
        createdAt: nowNanos(),
        labels: config.labels,
        annotations: config.annotations,
        runtimeHandler: req.runtimeHandler,
      });
      state.sandboxes.set(sandbox.id, {
        sandbox,
        ip: `10.88.${(n >> 8) & 255}.${(n & 255) + 2}`,
        hostname: config.hostname || config.metadata.name,
        logDirectory: config.logDirectory,
      });
      emitContainerEvent(ctx, sandbox.id, sandbox.id, ContainerEventType.CONTAINER_CREATED_EVENT);
      emitContainerEvent(ctx, sandbox.id, sandbox.id, ContainerEventType.CONTAINER_STARTED_EVENT);
      return { podSandboxId: sandbox.id };
    },

    stopPodSandbox(req) {
      stopSandbox(ctx, req.podSandboxId);
      return {};
    },

    removePodSandbox(req) {
      // Removes are idempotent: kubelet retries them after partial failures.
      const pod = lookupSandbox(state, req.podSandboxId);
      if (!pod) return {};
      stopSandbox(ctx, pod.sandbox.id);
      for (const [id, c] of state.containers) {
        if (c.container.podSandboxId !== pod.sandbox.id) continue;
        state.containers.delete(id);
        emitContainerEvent(ctx, id, pod.sandbox.id, ContainerEventType.CONTAINER_DELETED_EVENT);
      }
      emitContainerEvent(ctx, pod.sandbox.id, pod.sandbox.id, ContainerEventType.CONTAINER_DELETED_EVENT);
      state.sandboxes.delete(pod.sandbox.id);
      return {};
    },

    podSandboxStatus(req) {
      const pod = getSandbox(state, req.podSandboxId);
      const info: Record<string, string> = req.verbose
        ? {
            info: JSON.stringify({
              pid: 4242,
              processStatus: "running",
              runtimeHandler: pod.sandbox.runtimeHandler,
              runtimeType: "io.containerd.runc.v2",
            }),
          }
        : {};
      return { status: toSandboxStatus(pod), info, timestamp: nowNanos() };
    },

    listPodSandbox(req) {
      return { items: filterSandboxes(state, req.filter).map((p) => p.sandbox) };
    },

    async *streamPodSandboxes(req) {
      for (const batch of batches(filterSandboxes(state, req.filter)))
        yield { podSandboxes: batch.map((p) => p.sandbox) };
    },

    portForward(req) {
      getSandbox(state, req.podSandboxId);
      return { url: `/cri/portforward/${streamToken()}` };
    },

    updatePodSandboxResources(req) {
      getSandbox(state, req.podSandboxId);
      return {};
    },
  };
}
