// Container events for a runtime that has none (CRI v1alpha2 has no GetContainerEvents): the
// events that turn one listing of its sandboxes and containers into the next, as containerd
// would have sent them. With Evented PLEG kubelet relists only every 5 minutes, so without
// these a named runtime's container state changes would reach kubelet that late.
import { ContainerEventType, ContainerState, PodSandboxState } from "../gen/runtime/v1/api_pb.ts";

/** Where an object is in its life: one phase for both containers and sandboxes. */
export type Phase = "created" | "running" | "exited" | "unknown";

/** One sandbox or container as a listing showed it. */
export interface Seen {
  readonly id: string;
  /** Its pod sandbox (a sandbox's own id for a sandbox). */
  readonly sandbox: string;
  readonly phase: Phase;
}

/** One event to send: the object's id (a container's, or a sandbox's as containerd sends them), its pod, and the type. */
export interface PolledEvent {
  readonly id: string;
  readonly sandbox: string;
  readonly type: ContainerEventType;
}

/** A container's phase from its CRI state. */
export function containerPhase(state: ContainerState): Phase {
  if (state === ContainerState.CONTAINER_CREATED) return "created";
  if (state === ContainerState.CONTAINER_RUNNING) return "running";
  if (state === ContainerState.CONTAINER_EXITED) return "exited";
  return "unknown";
}

/** A sandbox's phase from its CRI state: READY is running, NOTREADY is stopped. */
export function sandboxPhase(state: PodSandboxState): Phase {
  return state === PodSandboxState.SANDBOX_READY ? "running" : "exited";
}

const STARTED = ContainerEventType.CONTAINER_STARTED_EVENT;
const STOPPED = ContainerEventType.CONTAINER_STOPPED_EVENT;

// The events from one phase to the next; an unknown phase says nothing.
function transition(from: Phase, to: Phase): ContainerEventType[] {
  if (from === to || to === "unknown" || to === "created") return [];
  if (to === "running") return from === "exited" ? [] : [STARTED];
  return [STOPPED]; // to exited, from created, running or unknown
}

/**
 * The events between two listings, in listing order: CREATED (then STARTED or STOPPED to reach
 * its phase) for a new object, STARTED or STOPPED for a changed one, DELETED for one gone.
 * The first listing (`before` undefined) is the baseline: kubelet's own relist already knows it.
 * Listings are keyed by the caller (a sandbox and a container may share an id); events carry the id.
 */
export function eventsBetween(
  before: ReadonlyMap<string, Seen> | undefined,
  after: ReadonlyMap<string, Seen>,
): PolledEvent[] {
  if (before === undefined) return [];
  const out: PolledEvent[] = [];
  const add = (s: Seen, types: ContainerEventType[]) => {
    for (const type of types) out.push({ id: s.id, sandbox: s.sandbox, type });
  };
  for (const [key, s] of after) {
    const old = before.get(key);
    if (old === undefined) add(s, [ContainerEventType.CONTAINER_CREATED_EVENT, ...transition("created", s.phase)]);
    else add(s, transition(old.phase, s.phase));
  }
  for (const [key, s] of before) if (!after.has(key)) add(s, [ContainerEventType.CONTAINER_DELETED_EVENT]);
  return out;
}
