// The method table: every CRI v1 method's row (method-kinds.ts) with its generated descriptor.
// Adding a CRI method is one row there; a generated method without a row is a start-up error.
import type { DescMethod } from "@bufbuild/protobuf";
import { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import { imageRows, runtimeRows, type MethodKind, type Spec } from "./method-kinds.ts";

export type { LogLevel, RouteKind } from "./method-kinds.ts";

/** A method's row: its kind, log level and generated descriptor. */
export interface MethodRow extends MethodKind {
  readonly method: DescMethod;
}

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
      if (streaming !== (spec[0] === "list-stream" || spec[0] === "events")) throw new Error(`method table row ${method.name}: its kind ${spec[0]} does not match a ${method.methodKind} method`);
      table.set(path, { method, path, kind: spec[0], log: spec[1], streaming });
    }
    const known = new Set(methods.map((m) => m.name));
    for (const name of Object.keys(rows)) {
      if (!known.has(name)) throw new Error(`method table row ${name} names no generated method`);
    }
  }
  return table;
}
