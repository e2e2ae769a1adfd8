// Kubelet's v1 request as a v1alpha2 runtime must get it. Fields v1alpha2 does not know
// (api-diff.ts) are dropped, so the runtime reads exactly a v1alpha2 message; where dropping
// would silently make a container less isolated or lose a device, the request is refused
// instead, naming the runtime and what it cannot do; a misread value is refused too.
import { fromBinary, toBinary, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { reflect, type ReflectList, type ReflectMap, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError } from "@connectrpc/connect";
import { fieldDiffs } from "./api-diff.ts";
import { v1alpha2Methods } from "./api-version.ts";
import { fieldMessage, messagesReachableFrom } from "./fields.ts";

/**
 * v1-only fields a v1alpha2 runtime cannot honour and whose loss kubelet would not notice: a
 * request that sets one (to anything but its default) is refused, with what the runtime lacks.
 * kubelet asks Status.features and handler features before using some of these, but Status
 * features are the primary's (core/merge.ts), so a v1alpha2 named runtime would be trusted
 * with them.
 */
export const refusedV1Fields: Readonly<Record<string, string>> = {
  "runtime.v1.Mount.recursive_read_only": "recursively read-only mounts",
  "runtime.v1.Mount.image": "image volumes",
  "runtime.v1.Mount.uidMappings": "id-mapped mounts",
  "runtime.v1.Mount.gidMappings": "id-mapped mounts",
  "runtime.v1.LinuxSandboxSecurityContext.supplemental_groups_policy": "supplementalGroupsPolicy Strict",
  "runtime.v1.LinuxContainerSecurityContext.supplemental_groups_policy": "supplementalGroupsPolicy Strict",
  "runtime.v1.ContainerConfig.CDI_devices": "CDI devices",
};

/** A field v1alpha2 reads as another type: KeyValue.value is bytes in v1 and a UTF-8 string in v1alpha2. */
const MISREAD_UTF8 = "runtime.v1.KeyValue.value";

interface Step {
  readonly field: DescField;
  /** drop: v1alpha2 does not know it; utf8: must be valid UTF-8; descend: a message leading to such fields. */
  readonly action: "drop" | "utf8" | "descend";
}

const fatal = new TextDecoder("utf-8", { fatal: true });
const plans = new Map<DescMessage, readonly Step[]>();

/** The steps of every v1 request type whose method v1alpha2 has, computed once from both versions' descriptors. */
function computePlans(): void {
  const dropped = new Map<string, Set<string>>();
  const inputs = [...v1alpha2Methods.values()].map((p) => [p.v1.input, p.alpha.input] as const);
  for (const [v1, alpha] of inputs) {
    for (const d of fieldDiffs(v1, alpha)) {
      const key = `${d.message}.${d.field}`;
      if (d.kind === "misread" && key !== MISREAD_UTF8)
        throw new Error(`core/v1alpha2-request.ts: v1alpha2 misreads ${key} (${d.as}); decide how to translate it`);
      let set = dropped.get(d.message);
      if (!set) dropped.set(d.message, (set = new Set()));
      set.add(d.field);
    }
  }
  // Fixed point over the v1 request types: a message needs steps if it has a field to drop or check, or leads to one.
  const all = messagesReachableFrom(inputs.map(([v1]) => v1));
  for (let changed = true; changed; ) {
    changed = false;
    for (const desc of all) {
      const steps: Step[] = [];
      for (const field of desc.fields) {
        const key = `${desc.typeName}.${field.name}`;
        const m = fieldMessage(field);
        if (dropped.get(desc.typeName)?.has(field.name))
          steps.push({ field, action: key === MISREAD_UTF8 ? "utf8" : "drop" });
        else if (m && (plans.get(m)?.length ?? 0) > 0) steps.push({ field, action: "descend" });
      }
      if (steps.length !== (plans.get(desc)?.length ?? 0)) changed = true;
      plans.set(desc, steps);
    }
  }
}

computePlans();

/** Whether a v1 request type carries anything a v1alpha2 runtime must not get as is. */
export function needsTranslation(v1Input: DescMessage): boolean {
  return (plans.get(v1Input)?.length ?? 0) > 0;
}

/**
 * The request bytes a v1alpha2 runtime gets for kubelet's v1 request: unchanged when its type
 * carries no v1-only field; else decoded, v1-only fields cleared, and encoded again (kubelet's
 * own unknown fields dropped too). Throws InvalidArgument naming `runtime` for a refused value.
 */
export function toV1alpha2Request(v1Input: DescMessage, bytes: Uint8Array, runtime: string): Uint8Array {
  if (!needsTranslation(v1Input)) return bytes;
  const msg: Message = fromBinary(v1Input, bytes, { readUnknownFields: false });
  walk(reflect(v1Input, msg), runtime);
  return toBinary(v1Input, msg);
}

function walk(r: ReflectMessage, runtime: string): void {
  for (const { field, action } of plans.get(r.desc) ?? []) {
    if (!r.isSet(field)) continue;
    const key = `${r.desc.typeName}.${field.name}`;
    if (action === "drop") {
      const lacks = refusedV1Fields[key];
      if (lacks !== undefined) {
        throw new ConnectError(
          `runtime ${runtime} speaks CRI v1alpha2, which has no ${lacks} (${key.replace("runtime.v1.", "")} is set)`,
          Code.InvalidArgument,
        );
      }
      r.clear(field);
    } else if (action === "utf8") {
      const value = r.get(field) as Uint8Array;
      try {
        fatal.decode(value);
      } catch {
        const name = (r.get(r.desc.fields.find((f) => f.name === "key")!) as string) || "?";
        throw new ConnectError(
          `runtime ${runtime} speaks CRI v1alpha2, where ${key.replace("runtime.v1.", "")} is a UTF-8 string: the value of ${JSON.stringify(name)} is not valid UTF-8`,
          Code.InvalidArgument,
        );
      }
    } else {
      for (const child of children(r, field)) walk(child, runtime);
    }
  }
}

function children(r: ReflectMessage, field: DescField): ReflectMessage[] {
  if (field.fieldKind === "list") return [...(r.get(field) as ReflectList)] as ReflectMessage[];
  if (field.fieldKind === "map") return [...(r.get(field) as ReflectMap).values()] as ReflectMessage[];
  return [r.get(field) as ReflectMessage];
}
