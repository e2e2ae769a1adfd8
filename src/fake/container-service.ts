// Container operations of the fake RuntimeService (containerd's container_*.go family).
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { ContainerEventType, ContainerSchema, ContainerState, type RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import { toContainerStatus } from "./convert.ts";
import { batches, emitContainerEvent, type FakeContext } from "./fake-context.ts";
import { filterContainers } from "./filters.ts";
import { newId, nowNanos, streamToken } from "./ids.ts";
import { getContainer, getSandbox, lookupContainer, lookupImage, type FakeContainer } from "./state.ts";

const stateName = (s: ContainerState) => ContainerState[s] ?? String(s);

// containerd refuses exec/attach/log reopen on a container that is not running, naming its state.
function requireRunning(c: FakeContainer): void {
  if (c.container.state !== ContainerState.CONTAINER_RUNNING) {
    throw new ConnectError(`container is in ${stateName(c.container.state)} state`, Code.FailedPrecondition);
  }
}

/** Stop a container if it runs; idempotent. */
function stopContainer(ctx: FakeContext, c: FakeContainer): void {
  if (c.container.state === ContainerState.CONTAINER_EXITED) return;
  c.container.state = ContainerState.CONTAINER_EXITED;
  c.finishedAt = nowNanos();
  c.exitCode = 0;
  c.reason = "Completed";
  emitContainerEvent(ctx, c.container.id, c.container.podSandboxId, ContainerEventType.CONTAINER_STOPPED_EVENT);
}

/** The container half of the fake RuntimeService. */
export function containerService(ctx: FakeContext): Partial<ServiceImpl<typeof RuntimeService>> {
  const { state } = ctx;
  return {
    createContainer(req) {
      const pod = getSandbox(state, req.podSandboxId);
      const config = req.config;
      if (!config?.metadata?.name)
        throw new ConnectError("container config must include metadata", Code.InvalidArgument);
      const ref = config.image?.image ?? "";
      // Strict like containerd: the image must have been pulled. A proxy that forgets to
      // unprefix `NAME/REF` fails here instead of passing silently.
      const image = lookupImage(state, ref);
      if (!image) throw new ConnectError(`failed to resolve image "${ref}": not found`, Code.NotFound);
      const container = create(ContainerSchema, {
        id: newId(),
        podSandboxId: pod.sandbox.id,
        metadata: config.metadata,
        image: config.image,
        imageRef: image.repoDigests[0] ?? image.id,
        imageId: image.id,
        state: ContainerState.CONTAINER_CREATED,
        createdAt: nowNanos(),
        labels: config.labels,
        annotations: config.annotations,
      });
      state.containers.set(container.id, {
        container,
        startedAt: 0n,
        finishedAt: 0n,
        exitCode: 0,
        reason: "",
        logPath: config.logPath ? `${pod.logDirectory}/${config.logPath}` : "",
        resources: config.linux?.resources,
      });
      emitContainerEvent(ctx, container.id, pod.sandbox.id, ContainerEventType.CONTAINER_CREATED_EVENT);
      return { containerId: container.id };
    },

    startContainer(req) {
      const c = getContainer(state, req.containerId);
      if (c.container.state !== ContainerState.CONTAINER_CREATED) {
        throw new ConnectError(`container is in ${stateName(c.container.state)} state`, Code.FailedPrecondition);
      }
      c.container.state = ContainerState.CONTAINER_RUNNING;
      c.startedAt = nowNanos();
      emitContainerEvent(ctx, c.container.id, c.container.podSandboxId, ContainerEventType.CONTAINER_STARTED_EVENT);
      return {};
    },

    stopContainer(req) {
      stopContainer(ctx, getContainer(state, req.containerId));
      return {};
    },

    removeContainer(req) {
      // Idempotent, and a running container is stopped first, as containerd does.
      const c = lookupContainer(state, req.containerId);
      if (!c) return {};
      stopContainer(ctx, c);
      state.containers.delete(c.container.id);
      emitContainerEvent(ctx, c.container.id, c.container.podSandboxId, ContainerEventType.CONTAINER_DELETED_EVENT);
      return {};
    },

    listContainers(req) {
      return { containers: filterContainers(state, req.filter).map((c) => c.container) };
    },

    async *streamContainers(req) {
      for (const batch of batches(filterContainers(state, req.filter)))
        yield { containers: batch.map((c) => c.container) };
    },

    containerStatus(req) {
      const c = getContainer(state, req.containerId);
      const info: Record<string, string> = req.verbose
        ? {
            info: JSON.stringify({
              sandboxID: c.container.podSandboxId,
              pid: 4243,
              runtimeType: "io.containerd.runc.v2",
            }),
          }
        : {};
      return { status: toContainerStatus(c), info };
    },

    updateContainerResources(req) {
      const c = getContainer(state, req.containerId);
      if (req.linux) c.resources = req.linux;
      return {};
    },

    reopenContainerLog(req) {
      requireRunning(getContainer(state, req.containerId));
      return {};
    },

    execSync(req) {
      requireRunning(getContainer(state, req.containerId));
      return { stdout: new TextEncoder().encode(`${req.cmd.join(" ")}\n`), stderr: new Uint8Array(), exitCode: 0 };
    },

    exec(req) {
      requireRunning(getContainer(state, req.containerId));
      // Path-only, like a runtime whose streaming server leaves the host to kubelet: the proxy completes it.
      return { url: `/cri/exec/${streamToken()}` };
    },

    attach(req) {
      requireRunning(getContainer(state, req.containerId));
      return { url: `/cri/attach/${streamToken()}` };
    },

    checkpointContainer(req) {
      getContainer(state, req.containerId);
      return {};
    },
  };
}
