// The one reflective walker over the CRI messages (model: protobuf-es clone.ts), driven by
// the field table: it visits only the fields fields.ts classifies and the paths leading to them.
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { reflect, type ReflectList, type ReflectMap, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { fieldPlan, type FieldClass } from "./fields.ts";
import { prefixId, prefixImage, splitId, splitImage } from "./names.ts";
import type { RoutingTable } from "./routing-table.ts";

/** Given a classified string and the message holding it, returns its new value. */
export type Visit = (cls: FieldClass, value: string, parent: ReflectMessage) => string;

/** Walks every classified string of msg (unset fields skipped); with apply, stores visit's answers. Returns how many values differ. */
export function rewriteStrings(schema: DescMessage, msg: Message, visit: Visit, apply = true): number {
  return walk(reflect(schema, msg), visit, apply);
}

/** Prefixes every id and image in an answer (or stream message) from backend; "" returns msg untouched. Mutates and returns msg. */
export function toKubelet<T extends Message>(schema: DescMessage, msg: T, backend: string, table?: RoutingTable): T {
  if (backend === "") return msg;
  rewriteStrings(schema, msg, kubeletVisit(backend, table));
  return msg;
}

/** Strips `backend__` / `backend/` prefixes and maps claimed handlers in a request going to backend. Mutates and returns msg. */
export function toBackend<T extends Message>(schema: DescMessage, msg: T, backend: string, table: RoutingTable): T {
  if (backend === "" && !table.kubeletHandlers.has("")) return msg;
  rewriteStrings(schema, msg, backendVisit(backend, table));
  return msg;
}

/** How many values toBackend would change, without changing any: 0 means forward the original bytes. */
export function backendChanges(schema: DescMessage, msg: Message, backend: string, table: RoutingTable): number {
  if (backend === "" && !table.kubeletHandlers.has("")) return 0;
  return rewriteStrings(schema, msg, backendVisit(backend, table), false);
}

/** The per-value rule of toKubelet (shared with the wire rewriter): prefix ids and images, name claimed handlers back. */
export function kubeletVisit(
  backend: string,
  table: RoutingTable | undefined,
): (cls: FieldClass, value: string) => string {
  // Handlers are named back only with a table; a backend handler nobody claims keeps its name.
  const handlers = table?.kubeletHandlers.get(backend);
  return (cls, value) => {
    if (cls === "image") return prefixImage(backend, value);
    if (cls === "handler") return handlers?.get(value) ?? value;
    return prefixId(backend, value);
  };
}

function backendVisit(backend: string, table: RoutingTable): Visit {
  return (cls, value) => {
    if (cls === "handler") {
      const claim = table.handlers.get(value);
      return claim !== undefined && claim.backend === backend ? claim.handler : value;
    }
    // Only this backend's own prefix is stripped; route() refuses requests mixing runtimes.
    if (backend === "") return value;
    if (cls === "image") {
      const split = splitImage(value, table.nameSet);
      return split.backend === backend ? split.ref : value;
    }
    const split = splitId(value, table.nameSet);
    return split.backend === backend ? split.id : value;
  };
}

function walk(r: ReflectMessage, visit: Visit, apply: boolean): number {
  let changes = 0;
  for (const { field, cls } of fieldPlan(r.desc)) {
    if (!r.isSet(field)) continue;
    if (field.fieldKind === "list") {
      const list = r.get(field) as ReflectList;
      for (let i = 0; i < list.size; i++) {
        const item = list.get(i);
        if (cls === undefined) changes += walk(item as ReflectMessage, visit, apply);
        else changes += visitOne(cls, item as string, r, visit, apply, (v) => list.set(i, v));
      }
    } else if (field.fieldKind === "map") {
      const map = r.get(field) as ReflectMap;
      for (const [key, item] of map) {
        if (cls === undefined) changes += walk(item as ReflectMessage, visit, apply);
        else changes += visitOne(cls, item as string, r, visit, apply, (v) => map.set(key, v));
      }
    } else if (cls === undefined) {
      changes += walk(r.get(field) as ReflectMessage, visit, apply);
    } else {
      changes += visitOne(cls, r.get(field) as string, r, visit, apply, (v) => r.set(field, v));
    }
  }
  return changes;
}

function visitOne(
  cls: FieldClass,
  value: string,
  parent: ReflectMessage,
  visit: Visit,
  apply: boolean,
  store: (v: string) => void,
): number {
  const next = visit(cls, value, parent);
  if (next === value) return 0;
  if (apply) store(next);
  return 1;
}
