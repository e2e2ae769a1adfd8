// The fake's v1alpha2 face: the same implementation served as a runtime.v1alpha2 service, the
// way a runtime built before 2022 answers. Each request is read as v1 (every v1alpha2 field is
// a v1 field of the same number) and each answer is cut down to what v1alpha2 has.
import { create, fromBinary, toBinary, type DescMessage, type DescService } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";

// biome-ignore lint/suspicious/noExplicitAny: any service's methods, bridged alike whatever their message types
type AnyImpl = Record<string, (request: any, context: HandlerContext) => any>;

// biome-ignore lint/suspicious/noExplicitAny: a message of either API, re-encoded by its descriptor
const recode = (from: DescMessage, to: DescMessage, msg: any) => fromBinary(to, toBinary(from, create(from, msg)));

/** An implementation of `alpha` (a v1alpha2 service) that calls `impl`, the implementation of its v1 twin `v1`. */
export function v1alpha2Service(v1: DescService, alpha: DescService, impl: object): AnyImpl {
  const source = impl as AnyImpl;
  const out: AnyImpl = {};
  for (const am of alpha.methods) {
    const vm = v1.methods.find((m) => m.name === am.name);
    if (!vm || am.methodKind !== "unary")
      throw new Error(`fake runtime: no unary v1 twin of ${alpha.typeName}/${am.name}`);
    const handler = source[vm.localName];
    out[am.localName] = async (request, context) =>
      recode(vm.output, am.output, await handler(recode(am.input, vm.input, request), context));
  }
  return out;
}
