// Which runtime each id, image, handler and target-runtime annotation in a request names: the
// facts route() decides on.
import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import { fieldPlan, type FieldClass } from "./fields.ts";
import { isDigest, splitId, splitImage } from "./names.ts";
import { podKey, type PodView } from "./pod-placement.ts";
import { rewriteStrings } from "./rewrite.ts";
import type { RoutingTable } from "./routing-table.ts";
import { imageSpecTarget, sandboxConfig, sandboxConfigTarget, TARGET_RUNTIME_ANNOTATION } from "./target-runtime.ts";

/**
 * What a claim is: a classified field, a `kubernetes.io/target-runtime` annotation (in an ImageSpec
 * or the sandbox config), or the pod a `sandbox_config` names, placed on a named runtime.
 */
export type ClaimClass = FieldClass | "annotation" | "pod";

/** A non-empty classified value in a request and the backend it names (undefined: names none, e.g. a digest or an unknown runtime). */
export interface Claim {
  readonly cls: ClaimClass;
  readonly value: string;
  readonly backend: string | undefined;
}

/**
 * Every non-empty id, image, handler and target-runtime annotation in msg, with the backend each
 * names; with `pods`, also the pod its sandbox config names when that pod runs on a named runtime
 * (PullImage: a pod's images follow it however it chose its runtime).
 */
export function claims(schema: DescMessage, msg: Message, table: RoutingTable, pods?: PodView): Claim[] {
  const found: Claim[] = [];
  const pod = sandboxConfigTarget(schema, msg);
  if (pod !== "") found.push(annotation(pod, table));
  const config = pods === undefined ? undefined : sandboxConfig(schema, msg);
  const placed = config === undefined ? undefined : pods!.runtimeOf(podKey(config.metadata));
  const podRuntime = placed !== undefined && table.nameSet.has(placed) ? placed : "";
  if (podRuntime !== "")
    found.push({
      cls: "pod",
      value: `${config!.metadata?.namespace ?? ""}/${config!.metadata?.name ?? ""}`,
      backend: podRuntime,
    });
  let specs: Set<Message> | undefined; // ImageSpecs whose annotation is counted (once each)
  rewriteStrings(
    schema,
    msg,
    (cls, value, parent) => {
      // An ImageSpec's annotation is a claim of its own: an image of another runtime beside it is a conflict.
      const target = imageSpecTarget(parent);
      if (target !== "" && !(specs ??= new Set()).has(parent.message)) {
        specs.add(parent.message);
        found.push(annotation(target, table));
      }
      if (value !== "") found.push({ cls, value, backend: owner(cls, value, parent, table, pod, podRuntime) });
      return value;
    },
    false,
  );
  return found;
}

/** The distinct backends named by claims, in order of first appearance. */
export function claimedBackends(found: readonly Claim[]): string[] {
  const backends = new Set<string>();
  for (const c of found) if (c.backend !== undefined) backends.add(c.backend);
  return [...backends];
}

/** A target-runtime annotation naming no configured runtime, if the request has one. */
export function unknownTarget(found: readonly Claim[]): Claim | undefined {
  return found.find((c) => c.cls === "annotation" && c.backend === undefined);
}

/** How an error message names a claimed value: `image "vm/x"`, `container "vm__4f1c"`. */
export function describeClaim(c: Claim): string {
  const noun = {
    "sandbox-id": "pod sandbox",
    "container-id": "container",
    image: "image",
    handler: "runtime handler",
    annotation: `annotation ${TARGET_RUNTIME_ANNOTATION}`,
    pod: "pod",
  }[c.cls];
  return `${noun} "${c.value}"`;
}

function annotation(value: string, table: RoutingTable): Claim {
  return { cls: "annotation", value, backend: table.nameSet.has(value) ? value : undefined };
}

function owner(
  cls: FieldClass,
  value: string,
  parent: ReflectMessage,
  table: RoutingTable,
  pod: string,
  podRuntime: string,
): string | undefined {
  // An unclaimed handler is the primary's own or its default: it does not pick a runtime by itself.
  if (cls === "handler") return table.handlers.get(value)?.backend;
  if (cls !== "image") return splitId(value, table.nameSet).backend;
  const named = splitImage(value, table.nameSet).backend;
  if (named !== "") return named;
  // An unprefixed image beside a claimed ImageSpec.runtime_handler is that backend's image.
  const handler = siblingHandler(parent);
  const claimed = handler === undefined ? undefined : table.handlers.get(handler)?.backend;
  if (claimed !== undefined) return claimed;
  // A digest names no runtime: it belongs to whichever runtime the rest of the request names.
  if (isDigest(value)) return undefined;
  // A bare name follows its pod: the ImageSpec's annotation, then the sandbox config's, then where
  // the pod runs; else it names nobody in particular ("": the primary, unless a sandbox id says otherwise).
  for (const target of [imageSpecTarget(parent), pod, podRuntime]) if (table.nameSet.has(target)) return target;
  return "";
}

function siblingHandler(parent: ReflectMessage): string | undefined {
  const entry = fieldPlan(parent.desc).find((e) => e.cls === "handler");
  return entry === undefined ? undefined : (parent.get(entry.field) as string);
}
