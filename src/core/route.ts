// route(): which backend(s) a request goes to and the request as each sees it, per RouteKind.
import { clone, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { RunPodSandboxRequest } from "../gen/runtime/v1/api_pb.ts";
import { claimedBackends, claims, describeClaim, unknownTarget, type Claim } from "./claims.ts";
import { fieldPlan } from "./fields.ts";
import type { MethodRow, RouteKind } from "./methods.ts";
import { isDigest, runtimeLabel, splitId } from "./names.ts";
import { backendChanges, toBackend } from "./rewrite.ts";
import type { RoutingTable } from "./routing-table.ts";
import { TARGET_RUNTIME_ANNOTATION } from "./target-runtime.ts";

export { TARGET_RUNTIME_ANNOTATION };

export type Plan =
  /** request undefined: forward the original request bytes unchanged. */
  | { kind: "one"; backend: string; request?: Message }
  /** Every ready backend, the same request to each. */
  | { kind: "fan-out"; backends: "all"; request?: Message }
  /** Answer the method's empty response without calling anyone. */
  | { kind: "empty" }
  | { kind: "error"; error: ConnectError };

type Planner = (row: MethodRow, request: Message, table: RoutingTable) => Plan;

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

/** Decides where a request goes and what the backend sees; pure, never throws for bad input. */
export function route(row: MethodRow, request: Message, table: RoutingTable): Plan {
  return planners[row.kind](row, request, table);
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
// A bare image names the primary unless the request names the sandbox's runtime for it (an
// ImageSpec's annotation or handler, or the sandbox config's annotation): kubelet's
// CreateContainer carries the pod's sandbox config, and the image_ref PullImage answered.
function routeById(row: MethodRow, request: Message, table: RoutingTable): Plan {
  const schema = row.method.input;
  const field = idField(schema);
  if (!field) return { kind: "error", error: new ConnectError(`${row.method.name}: no id field to route by`, Code.Internal) };
  const id = reflect(schema, request).get(field) as string;
  if (id === "") return invalid(`${row.method.name}: ${field.name} is empty`);
  const { backend, id: own } = splitId(id, table.nameSet);
  if (own === "") return invalid(`${row.method.name}: ${field.name} "${id}" names ${runtimeLabel(backend)} but no object`);
  const found = claims(schema, request, table);
  const unknown = unknownTarget(found);
  if (unknown) return unknownRuntime(row, unknown.value, table);
  for (const c of found) {
    if (c.backend === undefined || c.backend === backend) continue;
    const noun = field.name === "pod_sandbox_id" ? "pod sandbox" : "container";
    return invalid(`${row.method.name}: ${describeClaim(c)} belongs to ${runtimeLabel(c.backend)} but ${noun} "${id}" runs on ${runtimeLabel(backend)}${howToName(c, backend)}`);
  }
  return planOne(schema, request, backend, table);
}

// A bare image in a named runtime's sandbox: what the pod needs so that its images follow it.
// kubelet sends the pod's RuntimeClass handler with image calls only with the feature gate
// RuntimeClassInImageCriAPI, and with CreateContainer never; the annotation always reaches both.
function howToName(c: Claim, backend: string): string {
  if (c.cls !== "image" || c.backend !== "" || backend === "") return "";
  return `; to run the pod's images on ${runtimeLabel(backend)}, give the pod the annotation ${TARGET_RUNTIME_ANNOTATION}: ${backend} (a RuntimeClass alone does not reach CreateContainer) or name the image "${backend}/${c.value}"`;
}

// A target-runtime annotation naming no configured runtime (`pod`: RunPodSandbox names its pod).
function unknownRuntime(row: MethodRow, target: string, table: RoutingTable, pod?: string): Plan {
  const known = table.names.length > 0 ? table.names.join(", ") : "none";
  return invalid(`${row.method.name}: ${pod ? `${pod}: ` : ""}unknown runtime ${JSON.stringify(target)} in annotation ${TARGET_RUNTIME_ANNOTATION} (configured: ${known})`);
}

// By ImageSpec: a `NAME/REF` image, a claimed runtime_handler, or the target-runtime annotation
// of the ImageSpec or the sandbox config (images follow their pod); else the primary. A bare
// digest names no runtime: image ids come back unprefixed from every runtime, so kubelet's image
// GC (RemoveImage by id) and ImageStatus by id go to every runtime and the server keeps the
// answer of the one that has it.
function routeImage(row: MethodRow, request: Message, table: RoutingTable): Plan {
  const found = claims(row.method.input, request, table);
  const unknown = unknownTarget(found);
  if (unknown) return unknownRuntime(row, unknown.value, table);
  const backends = claimedBackends(found);
  if (backends.length === 0 && found.some((c) => c.cls === "image" && isDigest(c.value))) return { kind: "fan-out", backends: "all" };
  if (backends.length > 1) {
    const [a, b] = [found.find((c) => c.backend === backends[0])!, found.find((c) => c.backend === backends[1])!];
    return invalid(`${row.method.name}: ${describeClaim(a)} names ${runtimeLabel(backends[0])} but ${describeClaim(b)} names ${runtimeLabel(backends[1])}`);
  }
  return planOne(row.method.input, request, backends[0] ?? "", table);
}

// Unfiltered: every backend. A filter naming one runtime (an unprefixed id names the
// primary): only that one. Filters naming two runtimes can match nothing.
function routeList(row: MethodRow, request: Message, table: RoutingTable): Plan {
  const found = claims(row.method.input, request, table);
  const unknown = unknownTarget(found);
  if (unknown) return unknownRuntime(row, unknown.value, table);
  // `vm__` names a runtime but no object: it matches nothing (unprefixed, it would match all).
  if (found.some((c) => (c.cls === "sandbox-id" || c.cls === "container-id") && c.backend && splitId(c.value, table.nameSet).id === "")) return { kind: "empty" };
  const backends = claimedBackends(found);
  if (backends.length === 0) return { kind: "fan-out", backends: "all" };
  if (backends.length > 1) return { kind: "empty" };
  return planOne(row.method.input, request, backends[0], table);
}

// The annotation wins; then a claimed RuntimeClass handler; else the primary.
function routeRunSandbox(row: MethodRow, request: Message, table: RoutingTable): Plan {
  const req = request as RunPodSandboxRequest;
  const target = req.config?.annotations[TARGET_RUNTIME_ANNOTATION] ?? "";
  const claim = table.handlers.get(req.runtimeHandler);
  if (target === "") return planOne(row.method.input, request, claim?.backend ?? "", table);
  const pod = `pod "${req.config?.metadata?.namespace ?? ""}/${req.config?.metadata?.name ?? ""}"`;
  if (!table.nameSet.has(target)) return unknownRuntime(row, target, table, pod);
  if (claim && claim.backend !== target) {
    return invalid(`${row.method.name}: ${pod}: annotation ${TARGET_RUNTIME_ANNOTATION} names ${runtimeLabel(target)} but runtime handler "${req.runtimeHandler}" belongs to ${runtimeLabel(claim.backend)}`);
  }
  return planOne(row.method.input, request, target, table);
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
