// Events for a runtime that has none (CRI v1alpha2, or a v1 runtime answering Unimplemented):
// its sandboxes and containers are listed every second, as kubelet's generic PLEG would, and
// the changes (core/container-events.ts) are sent as ContainerEventResponses carrying the pod's
// status and all its containers' statuses, which kubelet's Evented PLEG caches as the pod's
// state, ids prefixed like every answer of that runtime.
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import { unaryRaw } from "../backends/raw-call.ts";
import { pathOn } from "../core/api-version.ts";
import { containerPhase, eventsBetween, sandboxPhase, type Seen } from "../core/container-events.ts";
import {
  ContainerEventResponseSchema,
  ContainerStatusRequestSchema,
  ContainerStatusResponseSchema,
  ListContainersRequestSchema,
  ListContainersResponseSchema,
  ListPodSandboxRequestSchema,
  ListPodSandboxResponseSchema,
  PodSandboxStatusRequestSchema,
  PodSandboxStatusResponseSchema,
  type ContainerStatus,
  type PodSandboxStatus,
} from "../gen/runtime/v1/api_pb.ts";
import type { Call } from "../grpc/call.ts";
import { apiOf } from "./api-target.ts";
import type { CallContext } from "./call-context.ts";
import type { Send } from "./stream-calls.ts";

/** Each runtime call of a poll is bounded, so a stalled runtime cannot stall the poller. */
const CALL_TIMEOUT_MS = 5000;

/** Polls `b` every `everyMs` and sends kubelet the events its listings imply, until `signal` aborts or `b` is no longer ready. */
export async function pollEvents(
  ctx: CallContext,
  call: Call,
  b: Backend,
  send: Send,
  everyMs: number,
  signal: AbortSignal,
): Promise<void> {
  const ask = async <I extends DescMessage, O extends DescMessage>(
    method: string,
    input: I,
    request: MessageInitShape<I>,
    output: O,
  ) => {
    const path = pathOn(apiOf(b), `/runtime.v1.RuntimeService/${method}`)!;
    const answer = await unaryRaw(b, path, toBinary(input, create(input, request)), {
      deadline: Date.now() + CALL_TIMEOUT_MS,
      signal,
      metadata: call.metadata,
    });
    return fromBinary(output, await answer.message());
  };
  let before: Map<string, Seen> | undefined;
  while (!signal.aborted && b.state === "ready") {
    try {
      const [pods, containers] = await Promise.all([
        ask("ListPodSandbox", ListPodSandboxRequestSchema, {}, ListPodSandboxResponseSchema),
        ask("ListContainers", ListContainersRequestSchema, {}, ListContainersResponseSchema),
      ]);
      // Sandbox and container ids are keyed apart: nothing says a runtime never reuses one as the other.
      const after = new Map<string, Seen>();
      for (const p of pods.items) after.set(`s:${p.id}`, { id: p.id, sandbox: p.id, phase: sandboxPhase(p.state) });
      for (const c of containers.containers)
        after.set(`c:${c.id}`, { id: c.id, sandbox: c.podSandboxId, phase: containerPhase(c.state) });
      const events = eventsBetween(before, after);
      before = after;
      const statuses = new Map<string, Promise<{ pod?: PodSandboxStatus; containers: ContainerStatus[] }>>();
      const statusOf = async (sandbox: string) => {
        const ids = containers.containers.filter((c) => c.podSandboxId === sandbox).map((c) => c.id);
        const [pod, ...cs] = await Promise.all([
          ask(
            "PodSandboxStatus",
            PodSandboxStatusRequestSchema,
            { podSandboxId: sandbox },
            PodSandboxStatusResponseSchema,
          ).then(
            (r) => r.status,
            () => undefined,
          ),
          ...ids.map((id) =>
            ask(
              "ContainerStatus",
              ContainerStatusRequestSchema,
              { containerId: id },
              ContainerStatusResponseSchema,
            ).then(
              (r) => r.status,
              () => undefined,
            ),
          ),
        ]);
        return {
          pod: pod as PodSandboxStatus | undefined,
          containers: (cs as (ContainerStatus | undefined)[]).filter((s) => s !== undefined),
        };
      };
      for (const e of events) {
        if (!statuses.has(e.sandbox)) statuses.set(e.sandbox, statusOf(e.sandbox));
        const s = await statuses.get(e.sandbox)!;
        const event = create(ContainerEventResponseSchema, {
          containerId: e.id,
          containerEventType: e.type,
          createdAt: BigInt(Date.now()) * 1_000_000n,
          podSandboxStatus: s.pod,
          containersStatuses: s.containers,
        });
        const bytes = toBinary(ContainerEventResponseSchema, event);
        await send(ctx.rewrite.message(call.row, b, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
      }
    } catch (e) {
      if (signal.aborted) return;
      ctx.log.log(
        2,
        "W",
        "polled-events.ts",
        `polling runtime ${b.label} for container events: ${ConnectError.from(e).message}`,
      );
    }
    await sleep(everyMs, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
