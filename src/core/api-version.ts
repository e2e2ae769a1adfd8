// Which CRI API a runtime speaks, and how kubelet's v1 calls map onto it: computed from the
// generated descriptors of both versions, by service and method name.
import type { DescMessage, DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import {
  ImageService as AlphaImageService,
  RuntimeService as AlphaRuntimeService,
} from "../gen/runtime/v1alpha2/api_pb.ts";

import type { CriApi } from "./cri-apis.ts";

export { CRI_APIS, isCriApi, type CriApi } from "./cri-apis.ts";

const pathOf = (m: DescMethod) => `/${m.parent.typeName}/${m.name}`;

/** A v1 method and its v1alpha2 twin (for a stand-in, the v1 method it stands in for: its request is translated as that one's). */
export interface MethodPair {
  readonly v1: DescMethod;
  readonly alpha: DescMethod;
}

/**
 * v1's streaming lists, which v1alpha2 lacks, served by the v1alpha2 unary list they stream:
 * the same request fields, and an answer whose only field (1) repeats the same item type, so
 * the unary answer is one message of the stream (test/core/api-diff.test.ts checks the shapes).
 * Left out of a kubelet relist that streams, a runtime's pods would look gone.
 */
export const STREAM_STAND_INS: Readonly<Record<string, string>> = {
  StreamPodSandboxes: "ListPodSandbox",
  StreamContainers: "ListContainers",
  StreamContainerStats: "ListContainerStats",
  StreamPodSandboxStats: "ListPodSandboxStats",
  StreamImages: "ListImages",
};

function pairMethods(v1: readonly DescService[], alpha: readonly DescService[]): Map<string, MethodPair> {
  const out = new Map<string, MethodPair>();
  for (const service of v1) {
    const twin = alpha.find((s) => s.name === service.name);
    for (const m of service.methods) {
      const a = twin?.methods.find((x) => x.name === m.name);
      if (a) out.set(pathOf(m), { v1: m, alpha: a });
    }
    for (const m of service.methods) {
      const standIn = STREAM_STAND_INS[m.name];
      const v1 = standIn === undefined ? undefined : service.methods.find((x) => x.name === standIn);
      const pair = v1 && out.get(pathOf(v1));
      if (pair) out.set(pathOf(m), pair);
    }
  }
  return out;
}

/** Each v1 path whose method v1alpha2 has (or serves by a stand-in), to the methods that serve it. */
export const v1alpha2Methods: ReadonlyMap<string, MethodPair> = pairMethods(
  [RuntimeService, ImageService],
  [AlphaRuntimeService, AlphaImageService],
);

/** The v1 methods v1alpha2 lacks, by name (for logs and docs). */
export const v1OnlyMethods: readonly string[] = [RuntimeService, ImageService].flatMap((s) =>
  s.methods.filter((m) => !v1alpha2Methods.has(pathOf(m))).map((m) => m.name),
);

/** The :path of kubelet's v1 call on a runtime speaking `api`; undefined when that API has no such method. */
export function pathOn(api: CriApi, v1Path: string): string | undefined {
  if (api === "v1") return v1Path;
  const m = v1alpha2Methods.get(v1Path);
  return m && pathOf(m.alpha);
}

/** The v1alpha2 method a v1 path maps to, if any. */
export function v1alpha2Method(v1Path: string): DescMethod | undefined {
  return v1alpha2Methods.get(v1Path)?.alpha;
}

/** The v1 request type whose translation a v1 path's request gets on v1alpha2 (a stand-in's: the unary list's, of the same fields). */
export function v1alpha2RequestType(v1Path: string): DescMessage | undefined {
  return v1alpha2Methods.get(v1Path)?.v1.input;
}

/** The error a call gets from a runtime whose API lacks the method: Unimplemented, naming the runtime, its API and the method. */
export function missingMethod(v1Path: string, runtime: string, api: CriApi): ConnectError {
  const name = v1Path.slice(v1Path.lastIndexOf("/") + 1) || v1Path;
  return new ConnectError(`runtime ${runtime} speaks CRI ${api}, which has no ${name}`, Code.Unimplemented);
}
