// What a runtime that becomes ready is told and asked, in the background: kubelet's last
// UpdateRuntimeConfig (kubelet sends it essentially once, at start; a runtime added by SIGHUP,
// or one that restarts, must still learn the pod CIDR), and its RuntimeClass handlers.
import { ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import { unaryRaw } from "../backends/raw-call.ts";
import { pathOn } from "../core/api-version.ts";
import { RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import type { Logger } from "../log/logger.ts";
import { apiOf } from "./api-target.ts";

/** How long the replayed UpdateRuntimeConfig, or the Status asked for a runtime's handlers, may take. */
const REPLAY_TIMEOUT_MS = 5000;

/** Status, v1 path: its runtime_handlers are what a runtime can run. */
const STATUS_PATH = `/${RuntimeService.typeName}/${RuntimeService.method.status.name}`;

/** Sends kubelet's last UpdateRuntimeConfig (its v1 path and bytes) to `b`, in `b`'s API. */
export function replayConfig(b: Backend, config: { path: string; request: Buffer }, log: Logger): void {
  const path = pathOn(apiOf(b), config.path);
  if (path === undefined) return; // every CRI API has UpdateRuntimeConfig; a method it lacks has nothing to replay
  unaryRaw(b, path, config.request, { deadline: Date.now() + REPLAY_TIMEOUT_MS })
    .then((answer) => answer.ended())
    .then(
      () => log.log(1, "I", "runtime-set.ts", `sent kubelet's last UpdateRuntimeConfig to runtime ${b.label}`),
      (e) =>
        log.log(
          0,
          "W",
          "runtime-set.ts",
          `sending kubelet's last UpdateRuntimeConfig to runtime ${b.label}: ${ConnectError.from(e).message}`,
        ),
    );
}

/** Asks `b` its Status once; `onStatus` gets the answer's bytes (Status fan-outs keep them current). */
export function askHandlers(b: Backend, onStatus: (status: Uint8Array) => void, log: Logger): void {
  unaryRaw(b, pathOn(apiOf(b), STATUS_PATH) ?? STATUS_PATH, new Uint8Array(0), {
    deadline: Date.now() + REPLAY_TIMEOUT_MS,
  })
    .then((answer) => answer.message())
    .then(onStatus, (e) =>
      log.log(
        2,
        "W",
        "runtime-set.ts",
        `asking runtime ${b.label} for its runtime handlers: ${ConnectError.from(e).message}`,
      ),
    );
}
