// The fake runtime's in-memory objects and the lookups every operation shares.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Container, Image, LinuxContainerResources, PodSandbox } from "../gen/runtime/v1/api_pb.ts";
import { normalizeImageRef } from "./image-ref.ts";

/** A pod sandbox: the CRI `PodSandbox` plus what its status needs. */
export interface FakeSandbox {
  sandbox: PodSandbox;
  ip: string;
  hostname: string;
  logDirectory: string;
}

/** A container: the CRI `Container` plus what its status needs. */
export interface FakeContainer {
  container: Container;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  reason: string;
  logPath: string;
  resources?: LinuxContainerResources;
}

/** Everything the fake runtime holds, keyed by full id (images by `sha256:` id). */
export interface FakeState {
  sandboxes: Map<string, FakeSandbox>;
  containers: Map<string, FakeContainer>;
  images: Map<string, Image>;
}

/** An empty state. */
export function emptyState(): FakeState {
  return { sandboxes: new Map(), containers: new Map(), images: new Map() };
}

// containerd resolves truncated ids too (its truncindex); a unique prefix is accepted.
function byIdOrPrefix<T>(map: Map<string, T>, id: string): T | undefined {
  if (id === "") return undefined;
  const exact = map.get(id);
  if (exact) return exact;
  let found: T | undefined;
  for (const [key, value] of map) {
    if (!key.startsWith(id)) continue;
    if (found) return undefined;
    found = value;
  }
  return found;
}

/** The sandbox with this id (or unique id prefix), or undefined. */
export function lookupSandbox(state: FakeState, id: string): FakeSandbox | undefined {
  return byIdOrPrefix(state.sandboxes, id);
}

/** The container with this id (or unique id prefix), or undefined. */
export function lookupContainer(state: FakeState, id: string): FakeContainer | undefined {
  return byIdOrPrefix(state.containers, id);
}

/** The sandbox with this id; NotFound worded like containerd otherwise. */
export function getSandbox(state: FakeState, id: string): FakeSandbox {
  const found = lookupSandbox(state, id);
  if (!found) throw new ConnectError(`an error occurred when try to find sandbox "${id}": not found`, Code.NotFound);
  return found;
}

/** The container with this id; NotFound worded like containerd otherwise. */
export function getContainer(state: FakeState, id: string): FakeContainer {
  const found = lookupContainer(state, id);
  if (!found) throw new ConnectError(`an error occurred when try to find container "${id}": not found`, Code.NotFound);
  return found;
}

/** The image a reference names: id, id prefix, tag (normalized) or repo digest; undefined if none. */
export function lookupImage(state: FakeState, ref: string): Image | undefined {
  if (ref === "") return undefined;
  const asId = ref.startsWith("sha256:") ? ref : /^[0-9a-f]{12,64}$/.test(ref) ? `sha256:${ref}` : "";
  if (asId) {
    const byId = byIdOrPrefix(state.images, asId);
    if (byId) return byId;
  }
  const normalized = normalizeImageRef(ref);
  for (const image of state.images.values()) {
    if (image.repoTags.includes(normalized) || image.repoDigests.includes(normalized)) return image;
  }
  return undefined;
}
