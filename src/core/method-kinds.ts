// How every CRI v1 method routes, as plain data: the kinds the server, the pipeline and the
// routing core agree on. It loads no descriptors, so the server can bind its socket and tell a
// streaming call from a unary one before the generated CRI API is loaded (start-up time).

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

/** What the method table says of one method, descriptors aside. */
export interface MethodKind {
  /** The HTTP/2 :path, e.g. `/runtime.v1.RuntimeService/Version`. */
  readonly path: string;
  readonly kind: RouteKind;
  readonly log: LogLevel;
  /** Server-streaming (every list-stream and events method, and only those). */
  readonly streaming: boolean;
}

/** A method's kind and log level. */
type Spec = readonly [RouteKind, LogLevel];

/** RuntimeService's rows, by method name. */
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

/** ImageService's rows, by method name. */
const imageRows: Record<string, Spec> = {
  ListImages: ["list", 5],
  StreamImages: ["list-stream", 5],
  ImageStatus: ["image", 4],
  PullImage: ["image", 3],
  RemoveImage: ["image", 3],
  ImageFsInfo: ["fan-in", 4],
};

/** The services and their rows. */
const SERVICE_ROWS = { "runtime.v1.RuntimeService": runtimeRows, "runtime.v1.ImageService": imageRows } as const;

/** Every method's kind, keyed by HTTP/2 path (no descriptors needed). */
export const methodKinds: ReadonlyMap<string, MethodKind> = new Map(
  Object.entries(SERVICE_ROWS).flatMap(([service, rows]) =>
    Object.entries(rows).map(([name, [kind, log]]) => {
      const path = `/${service}/${name}`;
      return [path, { path, kind, log, streaming: kind === "list-stream" || kind === "events" }] as const;
    }),
  ),
);
