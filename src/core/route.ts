// route(): which backend(s) a request goes to and the request as each sees it, per RouteKind.
import { clone, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ImageSpec, RunPodSandboxRequest } from "../gen/runtime/v1/api_pb.ts";
import { claimedBackends, claims, describeClaim, unknownTarget } from "./claims.ts";
import { fieldPlan } from "./fields.ts";
import { lookupRuntimes } from "./image-lookup.ts";
import type { MethodRow, RouteKind } from "./methods.ts";
import { isDigest, prefixId, runtimeLabel, splitId, splitImage } from "./names.ts";
import { NO_PODS, podKey, type PodView } from "./pod-placement.ts";
import { backendChanges, toBackend } from "./rewrite.ts";
import type { RoutingTable } from "./routing-table.ts";
import { TARGET_RUNTIME_ANNOTATION } from "./target-runtime.ts";

export { TARGET_RUNTIME_ANNOTATION };

/** What the pipeline learns from a call it carries out for one runtime (pipeline/pod-follow.ts). */
export type Follow =
  /** RunPodSandbox on a named runtime: the pod (podKey) runs there; unhinted: no target-runtime annotation placed it. */
  | { kind: "pod-placed"; key: string; unhinted: boolean }
  /** RemovePodSandbox of a named runtime's sandbox (as kubelet names it): forget it once removed. */
  | { kind: "pod-removed"; id: string }
  /** A bare image name resolved for a pod, whose image-user lookup is to come: ImageStatus that named its runtime, or PullImage. */
  | { kind: "image-found" | "image-pulled"; image: string }
  /** A presence check with no pod hint that the primary alone answers (nothing else in play): its lookup is to come. */
  | { kind: "image-checked"; image: string }
  /** An image-user lookup that the primary alone answers: a pod's resolution on the primary is settled. */
  | { kind: "image-user"; image: string };

export type Plan =
  /** request undefined: forward the original request bytes unchanged. */
  | { kind: "one"; backend: string; request?: Message; follow?: Follow }
  /**
   * A bare image with no pod hint (ImageStatus, ListImages by image): ask these runtimes (the
   * primary first); core/image-lookup.ts decides. presence: a presence check (kubelet's carries the
   * pod's annotations; critest's is ListImages), else an image-user lookup.
   */
  | { kind: "lookup"; backends: readonly string[]; image: string; presence: boolean }
  /** Every ready backend, the same request to each. */
  | { kind: "fan-out"; backends: "all"; request?: Message }
  /** Answer the method's empty response without calling anyone. */
  | { kind: "empty" }
  | { kind: "error"; error: ConnectError };

type Planner = (row: MethodRow, request: Message, table: RoutingTable, pods: PodView) => Plan;

const fanOut: Planner = () => ({ kind: "fan-out", backends: "all" });

const planners: Readonly<Record<RouteKind, Planner>> = {
  primary: () => ({ kind: "one", backend: "" }),
  "run-sandbox": routeRunSandbox,
  sandbox: routeById,
  container: routeById,
  create: routeById,
  image: routeImage,
  list: routeList,
  "list-stream": routeList,
  "fan-in": fanOut,
  status: fanOut,
  all: fanOut,
  events: fanOut,
};

/** Decides where a request goes and what the backend sees; pure, never throws for bad input. `pods`: what is known of pods (none by default). */
export function route(row: MethodRow, request: Message, table: RoutingTable, pods: PodView = NO_PODS): Plan {
  return planners[row.kind](row, request, table, pods);
}

/** A plan for one backend; the request is rewritten (on a copy) only when something in it changes. */
export function planOne(schema: DescMessage, request: Message, backend: string, table: RoutingTable): Plan {
  if (backendChanges(schema, request, backend, table) === 0) return { kind: "one", backend };
  return { kind: "one", backend, request: toBackend(schema, clone(schema, request), backend, table) };
}

function invalid(message: string): Plan {
  return { kind: "error", error: new ConnectError(message, Code.InvalidArgument) };
}

// By the request's sandbox or container id; every other id, image, handler and target-runtime
// annotation in it (CreateContainer's image, a target container id) must name the same runtime.
// A bare image or an image id names no runtime of its own: a pod's containers follow its sandbox
// (kubelet's CreateContainer carries the image_ref PullImage or ImageStatus answered, critest's a
// bare name), unless a NAME/ prefix, an annotation or a handler in the request names another.
function routeById(row: MethodRow, request: Message, table: RoutingTable): Plan {
  const schema = row.method.input;
  const field = idField(schema);
  if (!field)
    return { kind: "error", error: new ConnectError(`${row.method.name}: no id field to route by`, Code.Internal) };
  const id = reflect(schema, request).get(field) as string;
  if (id === "") return invalid(`${row.method.name}: ${field.name} is empty`);
  const { backend, id: own } = splitId(id, table.nameSet);
  if (own === "")
    return invalid(`${row.method.name}: ${field.name} "${id}" names ${runtimeLabel(backend)} but no object`);
  const found = claims(schema, request, table);
  const unknown = unknownTarget(found);
  if (unknown) return unknownRuntime(row, unknown.value, table);
  for (const c of found) {
    if (c.backend === undefined || c.backend === backend) continue;
    if (c.cls === "image" && c.backend === "" && splitImage(c.value, table.nameSet).backend === "") continue; // bare: follows the sandbox
    const noun = field.name === "pod_sandbox_id" ? "pod sandbox" : "container";
    return invalid(
      `${row.method.name}: ${describeClaim(c)} belongs to ${runtimeLabel(c.backend)} but ${noun} "${id}" runs on ${runtimeLabel(backend)}`,
    );
  }
  const plan = planOne(schema, request, backend, table);
  // A named runtime's sandbox, removed: the pod no longer runs there.
  if (row.method.name === "RemovePodSandbox" && backend !== "" && plan.kind === "one")
    return { ...plan, follow: { kind: "pod-removed", id: prefixId(backend, own) } };
  return plan;
}

// A target-runtime annotation naming no configured runtime (`pod`: RunPodSandbox names its pod).
function unknownRuntime(row: MethodRow, target: string, table: RoutingTable, pod?: string): Plan {
  const known = table.names.length > 0 ? table.names.join(", ") : "none";
  return invalid(
    `${row.method.name}: ${pod ? `${pod}: ` : ""}unknown runtime ${JSON.stringify(target)} in annotation ${TARGET_RUNTIME_ANNOTATION} (configured: ${known})`,
  );
}

// By ImageSpec: a `NAME/REF` image, a claimed runtime_handler, or the target-runtime annotation
// of the ImageSpec or the sandbox config (images follow their pod); else the primary. A bare
// digest names no runtime: image ids come back unprefixed from every runtime, so kubelet's image
// GC (RemoveImage by id) and ImageStatus by id go to every runtime and the server keeps the
// answer of the one that has it.
//
// A bare name follows its pod too: PullImage's sandbox config names the pod, and a pod placed on a
// named runtime (by annotation, handler or RuntimeClass) pulls there. ImageStatus of a bare name
// with no pod hint (kubelet's image-user lookup; the presence check of a pod a RuntimeClass alone
// placed) is a lookup when named runtimes are in play for that name (core/image-lookup.ts).
function routeImage(row: MethodRow, request: Message, table: RoutingTable, pods: PodView): Plan {
  const found = claims(row.method.input, request, table, pods);
  const unknown = unknownTarget(found);
  if (unknown) return unknownRuntime(row, unknown.value, table);
  const backends = claimedBackends(found);
  if (backends.length === 0 && found.some((c) => c.cls === "image" && isDigest(c.value)))
    return { kind: "fan-out", backends: "all" };
  if (backends.length > 1) {
    const [a, b] = [found.find((c) => c.backend === backends[0])!, found.find((c) => c.backend === backends[1])!];
    return invalid(
      `${row.method.name}: ${describeClaim(a)} names ${runtimeLabel(backends[0])} but ${describeClaim(b)} names ${runtimeLabel(backends[1])}`,
    );
  }
  const backend = backends[0] ?? "";
  const image = bareImage((request as { image?: ImageSpec }).image, table);
  if (image === undefined || row.method.name === "RemoveImage")
    return planOne(row.method.input, request, backend, table);
  if (row.method.name === "PullImage")
    return follow(planOne(row.method.input, request, backend, table), { kind: "image-pulled", image });
  if (backend !== "") return follow(planOne(row.method.input, request, backend, table), { kind: "image-found", image });
  // kubelet's presence check carries the pod's annotations (it always has some); its image-user lookup none.
  const presence = Object.keys((request as { image?: ImageSpec }).image?.annotations ?? {}).length > 0;
  const primaryAlone = follow(planOne(row.method.input, request, "", table), {
    kind: presence ? "image-checked" : "image-user",
    image,
  });
  return lookup(image, presence, request, row, table, pods) ?? primaryAlone;
}

// A lookup of a bare name with no pod hint, when named runtimes are in play for it; else undefined.
function lookup(
  image: string,
  presence: boolean,
  request: Message,
  row: MethodRow,
  table: RoutingTable,
  pods: PodView,
): Plan | undefined {
  const named = lookupRuntimes(image, presence, pods).filter((b) => table.nameSet.has(b));
  // The request carries nothing a backend sees differently (no prefix, no claimed handler): each gets kubelet's bytes.
  if (named.length === 0 || backendChanges(row.method.input, request, "", table) !== 0) return undefined;
  return { kind: "lookup", backends: ["", ...named], image, presence };
}

/** The image of an ImageSpec if it is a bare name: no NAME/ prefix, not a digest, not empty. */
function bareImage(spec: ImageSpec | undefined, table: RoutingTable): string | undefined {
  const image = spec?.image ?? "";
  return image === "" || isDigest(image) || splitImage(image, table.nameSet).backend !== "" ? undefined : image;
}

function follow(plan: Plan, f: Follow): Plan {
  return plan.kind === "one" ? { ...plan, follow: f } : plan;
}

// Unfiltered: every backend. A filter naming one runtime (an unprefixed id names the
// primary): only that one. Filters naming two runtimes can match nothing.
function routeList(row: MethodRow, request: Message, table: RoutingTable, pods: PodView): Plan {
  const found = claims(row.method.input, request, table);
  const unknown = unknownTarget(found);
  if (unknown) return unknownRuntime(row, unknown.value, table);
  // `vm__` names a runtime but no object: it matches nothing (unprefixed, it would match all).
  if (
    found.some(
      (c) =>
        (c.cls === "sandbox-id" || c.cls === "container-id") && c.backend && splitId(c.value, table.nameSet).id === "",
    )
  )
    return { kind: "empty" };
  const backends = claimedBackends(found);
  if (backends.length === 0) return { kind: "fan-out", backends: "all" };
  if (backends.length > 1) return { kind: "empty" };
  // ListImages by a bare name is a presence check too (critest's, before it pulls with the pod's config).
  const image =
    row.kind === "list" && backends[0] === ""
      ? bareImage((request as { filter?: { image?: ImageSpec } }).filter?.image, table)
      : undefined;
  return (
    (image !== undefined && lookup(image, true, request, row, table, pods)) ||
    planOne(row.method.input, request, backends[0], table)
  );
}

// The annotation wins; then a claimed RuntimeClass handler; else the primary.
function routeRunSandbox(row: MethodRow, request: Message, table: RoutingTable): Plan {
  const req = request as RunPodSandboxRequest;
  const target = req.config?.annotations[TARGET_RUNTIME_ANNOTATION] ?? "";
  const claim = table.handlers.get(req.runtimeHandler);
  if (target === "") return placed(planOne(row.method.input, request, claim?.backend ?? "", table), req, true);
  const pod = `pod "${req.config?.metadata?.namespace ?? ""}/${req.config?.metadata?.name ?? ""}"`;
  if (!table.nameSet.has(target)) return unknownRuntime(row, target, table, pod);
  if (claim && claim.backend !== target) {
    return invalid(
      `${row.method.name}: ${pod}: annotation ${TARGET_RUNTIME_ANNOTATION} names ${runtimeLabel(target)} but runtime handler "${req.runtimeHandler}" belongs to ${runtimeLabel(claim.backend)}`,
    );
  }
  return placed(planOne(row.method.input, request, target, table), req, false);
}

// A sandbox on a named runtime: the pipeline remembers where the pod runs (its pulls follow it).
function placed(plan: Plan, req: RunPodSandboxRequest, unhinted: boolean): Plan {
  if (plan.kind !== "one" || plan.backend === "") return plan;
  return follow(plan, { kind: "pod-placed", key: podKey(req.config?.metadata), unhinted });
}

const idFields = new Map<string, DescField | undefined>();

/** The top-level sandbox or container id field a by-id method routes on. */
export function idField(schema: DescMessage): DescField | undefined {
  if (!idFields.has(schema.typeName)) {
    const entry = fieldPlan(schema).find((e) => e.cls === "sandbox-id" || e.cls === "container-id");
    idFields.set(schema.typeName, entry?.field);
  }
  return idFields.get(schema.typeName);
}
