// A call as one runtime must get it, in the CRI API that runtime speaks: kubelet's v1 path
// renamed for a v1alpha2 runtime and its request translated (core/v1alpha2-request.ts), or
// Unimplemented naming the runtime and its API when that API lacks the method.
import type { Backend } from "../backends/backend.ts";
import { missingMethod, pathOn, v1alpha2RequestType, type CriApi } from "../core/api-version.ts";
import { toV1alpha2Request } from "../core/v1alpha2-request.ts";
import type { Call } from "../grpc/call.ts";

/** Where a call goes on one runtime: the HTTP/2 path and the request bytes. */
export interface Target {
  readonly path: string;
  readonly message: Uint8Array;
}

/** The API a runtime speaks; a runtime not probed yet is spoken to as kubelet speaks (v1). */
export const apiOf = (backend: Backend): CriApi => backend.api ?? "v1";

/** Whether the runtime's API has the call's method: a fan-out leaves out a runtime that lacks it. */
export function hasMethod(call: Call, backend: Backend): boolean {
  return pathOn(apiOf(backend), call.path) !== undefined;
}

/** The path and request for `backend` (`message`: the request as routed for it); throws Unimplemented when its API lacks the method. */
export function targetOf(call: Call, backend: Backend, message: Uint8Array = call.request): Target {
  return targetAt(call.path, backend, message);
}

/** The same for a v1 method path of the proxy's own choosing (v1 request bytes). */
export function targetAt(v1Path: string, backend: Backend, message: Uint8Array): Target {
  const api = apiOf(backend);
  if (api === "v1") return { path: v1Path, message };
  const path = pathOn(api, v1Path);
  if (path === undefined) throw missingMethod(v1Path, backend.label, api);
  return { path, message: toV1alpha2Request(v1alpha2RequestType(v1Path)!, message, backend.label) };
}
