// A fake CRI runtime on a Unix socket: every RuntimeService and ImageService method, in memory.
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { rm } from "node:fs/promises";
import * as http2 from "node:http2";
import {
  ImageService,
  RuntimeService,
  type ContainerEventResponse,
  type RuntimeConfig,
} from "../gen/runtime/v1/api_pb.ts";
import {
  ImageService as AlphaImageService,
  RuntimeService as AlphaRuntimeService,
} from "../gen/runtime/v1alpha2/api_pb.ts";
import { containerService } from "./container-service.ts";
import { Controls, instrument, type RecordedCall } from "./controls.ts";
import { EventHub } from "./event-hub.ts";
import type { FakeContext } from "./fake-context.ts";
import { prefill } from "./fixtures.ts";
import { imageService } from "./image-service.ts";
import { infoService } from "./info-service.ts";
import { sandboxService } from "./sandbox-service.ts";
import { statsService } from "./stats-service.ts";
import { emptyState, type FakeState } from "./state.ts";
import { v1alpha2Service } from "./v1alpha2-service.ts";

export type { FakeContainer, FakeSandbox, FakeState } from "./state.ts";
export type { RecordedCall } from "./controls.ts";

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
// How long stop() lets sessions drain before destroying them.
const DRAIN_MS = 500;

export interface FakeRuntimeOptions {
  /** Unix socket path to serve on (a stale file there is removed). */
  socket: string;
  /** VersionResponse.runtime_name; default "fake". */
  runtimeName?: string;
  /** Pre-filled READY sandboxes; default 0. */
  pods?: number;
  /** RUNNING containers per pre-filled sandbox; default 4. */
  containersPerPod?: number;
  /** Pre-filled images; default 0. */
  images?: number;
  /** Status.runtime_handlers names, accepted by RunPodSandbox; default [""]. */
  handlers?: string[];
  /** Start with this state (a runtime restarting keeps its pods); pre-filling adds to it. */
  state?: FakeState;
  /**
   * The CRI APIs served: "v1" (default); "v1alpha2" only, as a runtime built before 2022 (v1
   * calls answer Unimplemented); "both", as containerd 1.6 and 1.7.
   */
  api?: "v1" | "v1alpha2" | "both";
}

export interface FakeRuntime {
  readonly socket: string;
  /** Every call received, in order: rpc name and decoded request message. */
  readonly calls: RecordedCall[];
  readonly state: FakeState;
  /** Every UpdateRuntimeConfig's runtime_config, in order. */
  readonly runtimeConfigs: RuntimeConfig[];
  /** Open GetContainerEvents streams (wait for >0 before emit()). */
  readonly eventSubscribers: number;
  /** The next call of `method` fails with `error` (one-shot; queue several by calling again). */
  failNext(method: string, error: ConnectError): void;
  /** Answer `method` after `ms` (respects cancellation and deadlines; 0 clears). */
  setDelay(method: string, ms: number): void;
  /** `method` answers Unimplemented from now on, like containerd 1.6 for RuntimeConfig. */
  setUnimplemented(method: string): void;
  /** Push an event to every GetContainerEvents subscriber. */
  emit(event: ContainerEventResponse): void;
  /** Close the server and every session (ending streams), and remove the socket file. */
  stop(): Promise<void>;
}

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

// Requests as containerd takes them. grpc-go and crictl send a percent-encoded socket path as
// :authority; connect-node builds `new URL(path, "http://" + authority)` from it and throws
// "Invalid URL" outside any handler, so the authority is ignored. A grpc-timeout past
// setTimeout's 2^31-1 ms (connect-node's timer would fire at once) is a deadline weeks away: none.
function asContainerdWould(handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void) {
  return (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    if (!URL.canParse(`http://${req.authority}`)) Object.defineProperty(req, "authority", { value: "localhost" });
    const timeout = /^(\d{1,8})([HMSmun])$/.exec(String(req.headers["grpc-timeout"] ?? ""));
    if (timeout && Number(timeout[1]) * TIMEOUT_UNIT_MS[timeout[2]] > 2 ** 31 - 1) delete req.headers["grpc-timeout"];
    handler(req, res);
  };
}

/** Start a fake CRI runtime serving gRPC on `opts.socket`. */
export async function startFakeRuntime(opts: FakeRuntimeOptions): Promise<FakeRuntime> {
  const handlers = opts.handlers ?? [""];
  const state = opts.state ?? emptyState();
  prefill(state, opts.pods ?? 0, opts.containersPerPod ?? 4, opts.images ?? 0, handlers[0] ?? "");
  const ctx: FakeContext = {
    state,
    events: new EventHub(),
    runtimeName: opts.runtimeName ?? "fake",
    handlers,
    runtimeConfigs: [],
    nextIp: (opts.pods ?? 0) + 1,
  };
  const controls = new Controls();
  const runtimeImpl = { ...infoService(ctx), ...sandboxService(ctx), ...containerService(ctx), ...statsService(ctx) };
  const shutdown = new AbortController();
  const handler = connectNodeAdapter({
    routes(router) {
      const image = imageService(ctx);
      const api = opts.api ?? "v1";
      if (api !== "v1alpha2") {
        router.service(
          RuntimeService,
          instrument(RuntimeService, runtimeImpl as ServiceImpl<typeof RuntimeService>, controls),
        );
        router.service(ImageService, instrument(ImageService, image, controls));
      }
      if (api !== "v1") {
        const alphaRuntime = v1alpha2Service(RuntimeService, AlphaRuntimeService, runtimeImpl) as ServiceImpl<
          typeof AlphaRuntimeService
        >;
        router.service(AlphaRuntimeService, instrument(AlphaRuntimeService, alphaRuntime, controls));
        router.service(
          AlphaImageService,
          instrument(
            AlphaImageService,
            v1alpha2Service(ImageService, AlphaImageService, image) as ServiceImpl<typeof AlphaImageService>,
            controls,
          ),
        );
      }
    },
    grpc: true,
    connect: false,
    grpcWeb: false,
    readMaxBytes: MAX_MESSAGE_BYTES,
    writeMaxBytes: MAX_MESSAGE_BYTES,
    // Aborts delayed handlers on stop() so they do not hold sessions open.
    shutdownSignal: shutdown.signal,
  });
  // Bun's node:http2 counts queued response bytes against maxSessionMemory (default 10 MB)
  // and resets streams beyond it; a 1000-container list would trip it.
  const server = http2.createServer({ maxSessionMemory: 256 }, asContainerdWould(handler));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    // A client vanishing mid-stream must not crash the fake (or the test process).
    session.on("error", () => {});
  });
  await rm(opts.socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.socket, () => {
      server.off("error", reject);
      resolve();
    });
  });

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    ctx.events.close();
    // Calls still waiting on a delay end as a stopping grpc-go server ends them.
    shutdown.abort(new ConnectError("fake runtime stopped", Code.Unavailable));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const session of sessions) session.close();
    const drained = await Promise.race([
      Promise.all(
        [...sessions].map(
          (s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.once("close", () => resolve()))),
        ),
      ).then(() => true),
      Bun.sleep(DRAIN_MS).then(() => false),
    ]);
    if (!drained) for (const session of sessions) session.destroy();
    await Promise.race([closed, Bun.sleep(DRAIN_MS)]);
    await rm(opts.socket, { force: true });
  };

  return {
    socket: opts.socket,
    calls: controls.calls,
    state,
    runtimeConfigs: ctx.runtimeConfigs,
    get eventSubscribers() {
      return ctx.events.size;
    },
    failNext: (method, error) => controls.failNext(method, error),
    setDelay: (method, ms) => controls.setDelay(method, ms),
    setUnimplemented: (method) => controls.setUnimplemented(method),
    emit: (event) => ctx.events.emit(event),
    stop: () => (stopped ??= stop()),
  };
}
