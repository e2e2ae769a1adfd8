// List filters, as containerd applies them (filterCRIContainers / filterCRISandboxes).
import type {
  ContainerFilter,
  ContainerStatsFilter,
  Image,
  ImageFilter,
  PodSandboxFilter,
  PodSandboxStatsFilter,
} from "../gen/runtime/v1/api_pb.ts";
import {
  lookupContainer,
  lookupImage,
  lookupSandbox,
  type FakeContainer,
  type FakeSandbox,
  type FakeState,
} from "./state.ts";

/** True when every selector key is present in labels with the same value. */
export function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  for (const [key, value] of Object.entries(selector ?? {})) {
    if (labels[key] !== value) return false;
  }
  return true;
}

/** Sandboxes matching a ListPodSandbox or ListPodSandboxStats filter, oldest first. */
export function filterSandboxes(
  state: FakeState,
  filter: PodSandboxFilter | PodSandboxStatsFilter | undefined,
): FakeSandbox[] {
  if (!filter) return [...state.sandboxes.values()];
  // An id that resolves to nothing yields an empty list, not an error (kubelet relies on that).
  const id = filter.id ? (lookupSandbox(state, filter.id)?.sandbox.id ?? "\0") : "";
  const wantState = "state" in filter ? filter.state?.state : undefined;
  return [...state.sandboxes.values()].filter(
    (s) =>
      (id === "" || s.sandbox.id === id) &&
      (wantState === undefined || s.sandbox.state === wantState) &&
      matchesLabels(s.sandbox.labels, filter.labelSelector),
  );
}

/** Containers matching a ListContainers or ListContainerStats filter, oldest first. */
export function filterContainers(
  state: FakeState,
  filter: ContainerFilter | ContainerStatsFilter | undefined,
): FakeContainer[] {
  if (!filter) return [...state.containers.values()];
  const id = filter.id ? (lookupContainer(state, filter.id)?.container.id ?? "\0") : "";
  const podId = filter.podSandboxId ? (lookupSandbox(state, filter.podSandboxId)?.sandbox.id ?? "\0") : "";
  const wantState = "state" in filter ? filter.state?.state : undefined;
  return [...state.containers.values()].filter(
    ({ container: c }) =>
      (id === "" || c.id === id) &&
      (podId === "" || c.podSandboxId === podId) &&
      (wantState === undefined || c.state === wantState) &&
      matchesLabels(c.labels, filter.labelSelector),
  );
}

/** Images matching a ListImages filter (by any reference to the image). */
export function filterImages(state: FakeState, filter: ImageFilter | undefined): Image[] {
  const ref = filter?.image?.image ?? "";
  if (ref === "") return [...state.images.values()];
  const image = lookupImage(state, ref);
  return image ? [image] : [];
}
