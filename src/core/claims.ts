// Which runtime each id, image and handler in a request names: the facts route() decides on.
import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import { fieldPlan, type FieldClass } from "./fields.ts";
import { isDigest, splitId, splitImage } from "./names.ts";
import { rewriteStrings } from "./rewrite.ts";
import type { RoutingTable } from "./routing-table.ts";

/** A non-empty classified value in a request and the backend it names (undefined: names none, e.g. a digest). */
export interface Claim {
  readonly cls: FieldClass;
  readonly value: string;
  readonly backend: string | undefined;
}

/** Every non-empty id, image and handler in msg, with the backend each names. */
export function claims(schema: DescMessage, msg: Message, table: RoutingTable): Claim[] {
  const found: Claim[] = [];
  rewriteStrings(
    schema,
    msg,
    (cls, value, parent) => {
      if (value !== "") found.push({ cls, value, backend: owner(cls, value, parent, table) });
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

/** How an error message names a claimed value: `image "vm/x"`, `container "vm__4f1c"`. */
export function describeClaim(c: Claim): string {
  const noun = { "sandbox-id": "pod sandbox", "container-id": "container", image: "image", handler: "runtime handler" }[c.cls];
  return `${noun} "${c.value}"`;
}

function owner(cls: FieldClass, value: string, parent: ReflectMessage, table: RoutingTable): string | undefined {
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
  return isDigest(value) ? undefined : "";
}

function siblingHandler(parent: ReflectMessage): string | undefined {
  const entry = fieldPlan(parent.desc).find((e) => e.cls === "handler");
  return entry === undefined ? undefined : (parent.get(entry.field) as string);
}
