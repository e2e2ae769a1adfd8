// Which fields of the CRI messages hold ids, image references and runtime handlers, decided
// field by field from proto/runtime/v1/api.proto, and the walk plan computed from it once.
// v1alpha2 messages (a runtime that speaks only v1alpha2) are classified by the same names:
// every v1alpha2 field is a v1 field of the same number, name and type (test/core/api-diff.test.ts).
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import {
  ImageService as AlphaImageService,
  RuntimeService as AlphaRuntimeService,
} from "../gen/runtime/v1alpha2/api_pb.ts";

/**
 * - sandbox-id / container-id: `NAME__ID` as kubelet sees it.
 * - image: `NAME/REF` as kubelet sees it, unless a digest (`sha256:...`).
 * - handler: a RuntimeClass handler; kubelet's name <-> the name a claiming backend knows.
 */
export type FieldClass = "sandbox-id" | "container-id" | "image" | "handler";

const P = "runtime.v1.";

/** Every string field that names a runtime object, keyed `runtime.v1.Message.field`. */
export const classifiedFields: Readonly<Record<string, FieldClass>> = {
  [`${P}RunPodSandboxResponse.pod_sandbox_id`]: "sandbox-id",
  [`${P}StopPodSandboxRequest.pod_sandbox_id`]: "sandbox-id",
  [`${P}RemovePodSandboxRequest.pod_sandbox_id`]: "sandbox-id",
  [`${P}PodSandboxStatusRequest.pod_sandbox_id`]: "sandbox-id",
  [`${P}PodSandboxStatus.id`]: "sandbox-id",
  [`${P}PodSandboxFilter.id`]: "sandbox-id",
  [`${P}PodSandbox.id`]: "sandbox-id",
  [`${P}CreateContainerRequest.pod_sandbox_id`]: "sandbox-id",
  [`${P}ContainerFilter.pod_sandbox_id`]: "sandbox-id",
  [`${P}Container.pod_sandbox_id`]: "sandbox-id",
  [`${P}PortForwardRequest.pod_sandbox_id`]: "sandbox-id",
  [`${P}ContainerStatsFilter.pod_sandbox_id`]: "sandbox-id",
  [`${P}PodSandboxStatsRequest.pod_sandbox_id`]: "sandbox-id",
  [`${P}PodSandboxAttributes.id`]: "sandbox-id",
  [`${P}PodSandboxStatsFilter.id`]: "sandbox-id",
  [`${P}PodSandboxMetrics.pod_sandbox_id`]: "sandbox-id",
  [`${P}UpdatePodSandboxResourcesRequest.pod_sandbox_id`]: "sandbox-id",

  [`${P}CreateContainerResponse.container_id`]: "container-id",
  [`${P}StartContainerRequest.container_id`]: "container-id",
  [`${P}StopContainerRequest.container_id`]: "container-id",
  [`${P}RemoveContainerRequest.container_id`]: "container-id",
  [`${P}ContainerFilter.id`]: "container-id",
  [`${P}Container.id`]: "container-id",
  [`${P}ContainerStatusRequest.container_id`]: "container-id",
  [`${P}ContainerStatus.id`]: "container-id",
  [`${P}UpdateContainerResourcesRequest.container_id`]: "container-id",
  [`${P}ReopenContainerLogRequest.container_id`]: "container-id",
  [`${P}ExecSyncRequest.container_id`]: "container-id",
  [`${P}ExecRequest.container_id`]: "container-id",
  [`${P}AttachRequest.container_id`]: "container-id",
  [`${P}ContainerStatsRequest.container_id`]: "container-id",
  [`${P}ContainerAttributes.id`]: "container-id",
  [`${P}ContainerStatsFilter.id`]: "container-id",
  [`${P}CheckpointContainerRequest.container_id`]: "container-id",
  [`${P}ContainerEventResponse.container_id`]: "container-id",
  [`${P}ContainerMetrics.container_id`]: "container-id",
  // The target container of a TARGET pid namespace (ephemeral containers): an id of the same runtime.
  [`${P}NamespaceOption.target_id`]: "container-id",

  // ImageSpec.image is what kubelet pulled by name, or the image_ref a pull returned.
  [`${P}ImageSpec.image`]: "image",
  // The name the user wrote in the pod spec (`vm/x`): the backend sees it as it would without the proxy.
  [`${P}ImageSpec.user_specified_image`]: "image",
  [`${P}ImageSpec.image_ref`]: "image",
  // Image ids (Image.id, *.image_id, PullImageResponse.image_ref must all match each other)
  // and image_ref: kubelet feeds them back into CreateContainer and RemoveImage, so a
  // runtime's non-digest ids must carry its name; digest ids stay unchanged (prefixImage).
  [`${P}Container.image_ref`]: "image",
  [`${P}Container.image_id`]: "image",
  [`${P}ContainerStatus.image_ref`]: "image",
  [`${P}ContainerStatus.image_id`]: "image",
  [`${P}Image.id`]: "image",
  [`${P}PullImageResponse.image_ref`]: "image",
  // Names a user can pull or inspect (`vm/docker.io/x:1`, `vm/docker.io/x@sha256:...`).
  [`${P}Image.repo_tags`]: "image",
  [`${P}Image.repo_digests`]: "image",

  [`${P}RunPodSandboxRequest.runtime_handler`]: "handler",
  [`${P}ImageSpec.runtime_handler`]: "handler",
  [`${P}PodSandbox.runtime_handler`]: "handler",
  [`${P}PodSandboxStatus.runtime_handler`]: "handler",
};

/** Fields that look like ids or images but are deliberately not rewritten, with the reason. */
export const untouchedFields: Readonly<Record<string, string>> = {
  [`${P}Mount.image_sub_path`]: "a path inside the mounted image volume, not an image reference",
  [`${P}PodSandboxStatusResponse.info`]: "free-form debug JSON (verbose only); rewriting inside it would be guesswork",
  [`${P}ContainerStatusResponse.info`]: "free-form debug JSON (verbose only); rewriting inside it would be guesswork",
  [`${P}ImageStatusResponse.info`]: "free-form debug JSON (verbose only); rewriting inside it would be guesswork",
  [`${P}StatusResponse.info`]: "merged by mergeStatus, which nests each named runtime's info under its name",
  [`${P}RuntimeHandler.name`]: "renamed and filtered by mergeStatus, which knows every backend's answer",
  [`${P}ExecResponse.url`]: "a streaming URL, completed by absoluteStreamUrl, not an id",
  [`${P}AttachResponse.url`]: "a streaming URL, completed by absoluteStreamUrl, not an id",
  [`${P}PortForwardResponse.url`]: "a streaming URL, completed by absoluteStreamUrl, not an id",
};

/** One step of a walk: a classified string field, or a message field whose type holds some. */
export interface PlanEntry {
  readonly field: DescField;
  /** Set for string fields (singular, repeated, or map values); unset for message fields to descend into. */
  readonly cls?: FieldClass;
}

/** Whether a field holds strings (singular, list, or map values). */
export function isStringField(f: DescField): boolean {
  if (f.fieldKind === "scalar") return f.scalar === ScalarType.STRING;
  if (f.fieldKind === "list") return f.listKind === "scalar" && f.scalar === ScalarType.STRING;
  if (f.fieldKind === "map") return f.mapKind === "scalar" && f.scalar === ScalarType.STRING;
  return false;
}

/** The message type a field holds (singular, list, or map values), if any. */
export function fieldMessage(f: DescField): DescMessage | undefined {
  if (f.fieldKind === "message") return f.message;
  if (f.fieldKind === "list" && f.listKind === "message") return f.message;
  if (f.fieldKind === "map" && f.mapKind === "message") return f.message;
  return undefined;
}

/** Every message type reachable from the inputs and outputs of RuntimeService and ImageService, v1 and v1alpha2. */
export const reachableMessages: readonly DescMessage[] = collectReachable();

const plans: ReadonlyMap<string, readonly PlanEntry[]> = computePlans();

/** The walk plan of a message type: classified fields and message fields that lead to some; empty = nothing to rewrite. */
export function fieldPlan(desc: DescMessage): readonly PlanEntry[] {
  return plans.get(desc.typeName) ?? [];
}

/** The key of a field in the tables above: `runtime.v1.Message.field`, for a v1alpha2 message too. */
export function fieldKey(desc: DescMessage, field: DescField): string {
  return `${desc.typeName.replace(/^runtime\.v1alpha2\./, P)}.${field.name}`;
}

/** The class of a field, if classified. */
export function fieldClass(desc: DescMessage, field: DescField): FieldClass | undefined {
  return classifiedFields[fieldKey(desc, field)];
}

/** Every message type reachable from `roots` through message fields (roots included), each once. */
export function messagesReachableFrom(roots: Iterable<DescMessage>): DescMessage[] {
  const seen = new Map<string, DescMessage>();
  const visit = (d: DescMessage): void => {
    if (seen.has(d.typeName)) return;
    seen.set(d.typeName, d);
    for (const f of d.fields) {
      const m = fieldMessage(f);
      if (m) visit(m);
    }
  };
  for (const root of roots) visit(root);
  return [...seen.values()];
}

function collectReachable(): DescMessage[] {
  const services = [RuntimeService, ImageService, AlphaRuntimeService, AlphaImageService];
  return messagesReachableFrom(services.flatMap((s) => s.methods.flatMap((m) => [m.input, m.output])));
}

function computePlans(): Map<string, PlanEntry[]> {
  const byName = new Map(reachableMessages.map((d) => [d.typeName, d]));
  // A stale key (renamed field after a CRI bump) must fail loudly, not silently stop rewriting.
  for (const key of [...Object.keys(classifiedFields), ...Object.keys(untouchedFields)]) {
    const dot = key.lastIndexOf(".");
    const desc = byName.get(key.slice(0, dot));
    const field = desc?.fields.find((f) => f.name === key.slice(dot + 1));
    if (!field) throw new Error(`core/fields.ts names ${key}, which no CRI method reaches`);
    if (key in classifiedFields && !isStringField(field))
      throw new Error(`core/fields.ts classifies ${key}, which is not a string field`);
  }
  // Fixed point: a message needs walking if it has a classified field or a field leading to one.
  const plans = new Map<string, PlanEntry[]>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const desc of reachableMessages) {
      const entries: PlanEntry[] = [];
      for (const field of desc.fields) {
        const cls = fieldClass(desc, field);
        const m = fieldMessage(field);
        if (cls) entries.push({ field, cls });
        else if (m && (plans.get(m.typeName)?.length ?? 0) > 0) entries.push({ field });
      }
      if (entries.length !== (plans.get(desc.typeName)?.length ?? 0)) changed = true;
      plans.set(desc.typeName, entries);
    }
  }
  return plans;
}
