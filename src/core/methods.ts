// The method table: how every CRI v1 method routes. Adding a CRI method is one row.
import type { DescMethod } from "@bufbuild/protobuf";
import { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.ts";

/**
 * How a method chooses its backend(s).
 * - primary:     always the primary runtime (Version, RuntimeConfig).
 * - run-sandbox: RunPodSandbox: by `kubernetes.io/target-runtime` annotation, then runtime handler.
 * - sandbox:     by the request's pod sandbox id (`NAME__ID`).
 * - container:   by the request's container id.
 * - create:      CreateContainer: by sandbox id; the image must belong to the same runtime (a bare
 *                image does when the request names the sandbox's runtime for it).
 * - image:       by image reference (`NAME/REF`), a routed `ImageSpec.runtime_handler`, or the pod's
 *                `kubernetes.io/target-runtime` annotation in the ImageSpec or the sandbox config.
 * - list:        unfiltered: every ready backend, merged; a filter naming one runtime: that one.
 * - list-stream: the streaming variant of a list call, fanned in the same way.
 * - fan-in:      every ready backend, answers merged (ImageFsInfo, ListMetricDescriptors).
 * - status:      primary decides readiness; handlers are the union (Status).
 * - all:         every backend, replayed to late ones (UpdateRuntimeConfig).
 * - events:      streaming fan-in of every backend's events (GetContainerEvents).
 */
export type RouteKind =
  | "primary"
  | "run-sandbox"
  | "sandbox"
  | "container"
  | "create"
  | "image"
  | "list"
  | "list-stream"
  | "fan-in"
  | "status"
  | "all"
  | "events";

/** klog verbosity at which a call is dumped: 3 state-changing, 4 status, 5 list. */
export type LogLevel = 3 | 4 | 5;

export interface MethodRow {
  readonly method: DescMethod;
  /** The HTTP/2 :path, e.g. `/runtime.v1.RuntimeService/Version`. */
  readonly path: string;
  readonly kind: RouteKind;
  readonly log: LogLevel;
  readonly streaming: boolean;
}

type Spec = readonly [RouteKind, LogLevel];

const runtimeRows: Record<string, Spec> = {
  Version: ["primary", 4],
  RunPodSandbox: ["run-sandbox", 3],
  StopPodSandbox: ["sandbox", 3],
  RemovePodSandbox: ["sandbox", 3],
  PodSandboxStatus: ["sandbox", 4],
  ListPodSandbox: ["list", 5],
  StreamPodSandboxes: ["list-stream", 5],
  CreateContainer: ["create", 3],
  StartContainer: ["container", 3],
  StopContainer: ["container", 3],
  RemoveContainer: ["container", 3],
  ListContainers: ["list", 5],
  StreamContainers: ["list-stream", 5],
  ContainerStatus: ["container", 4],
  UpdateContainerResources: ["container", 3],
  ReopenContainerLog: ["container", 3],
  ExecSync: ["container", 3],
  Exec: ["container", 3],
  Attach: ["container", 3],
  PortForward: ["sandbox", 3],
  ContainerStats: ["container", 4],
  ListContainerStats: ["list", 5],
  StreamContainerStats: ["list-stream", 5],
  PodSandboxStats: ["sandbox", 4],
  ListPodSandboxStats: ["list", 5],
  StreamPodSandboxStats: ["list-stream", 5],
  UpdateRuntimeConfig: ["all", 3],
  Status: ["status", 4],
  CheckpointContainer: ["container", 3],
  GetContainerEvents: ["events", 5],
  ListMetricDescriptors: ["fan-in", 5],
  ListPodSandboxMetrics: ["list", 5],
  StreamPodSandboxMetrics: ["list-stream", 5],
  RuntimeConfig: ["primary", 4],
  UpdatePodSandboxResources: ["sandbox", 3],
};

const imageRows: Record<string, Spec> = {
  ListImages: ["list", 5],
  StreamImages: ["list-stream", 5],
  ImageStatus: ["image", 4],
  PullImage: ["image", 3],
  RemoveImage: ["image", 3],
  ImageFsInfo: ["fan-in", 4],
};

/** Every row, keyed by HTTP/2 path. A generated method without a row is a startup error. */
export const methodTable: ReadonlyMap<string, MethodRow> = buildTable([
  [RuntimeService.methods, runtimeRows],
  [ImageService.methods, imageRows],
]);

function buildTable(groups: [readonly DescMethod[], Record<string, Spec>][]): Map<string, MethodRow> {
  const table = new Map<string, MethodRow>();
  for (const [methods, rows] of groups) {
    for (const method of methods) {
      const spec = rows[method.name];
      if (!spec) throw new Error(`method table has no row for ${method.parent.typeName}/${method.name}`);
      const path = `/${method.parent.typeName}/${method.name}`;
      const streaming = method.methodKind === "server_streaming";
      table.set(path, { method, path, kind: spec[0], log: spec[1], streaming });
    }
    const known = new Set(methods.map((m) => m.name));
    for (const name of Object.keys(rows)) {
      if (!known.has(name)) throw new Error(`method table row ${name} names no generated method`);
    }
  }
  return table;
}
