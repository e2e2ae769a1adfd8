// The method table: every CRI v1 method's row (method-kinds.ts) with its generated descriptor.
// Adding a CRI method is one row there; a generated method without a row is a start-up error.
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { ImageService, RuntimeService } from "../gen/runtime/v1/api_pb.ts";
import { methodKinds, type MethodKind } from "./method-kinds.ts";

export type { LogLevel, RouteKind } from "./method-kinds.ts";

/** A method's row: its kind, log level and generated descriptor. */
export interface MethodRow extends MethodKind {
  readonly method: DescMethod;
}

/** Every row, keyed by HTTP/2 path. A generated method without a row is a startup error. */
export const methodTable: ReadonlyMap<string, MethodRow> = buildTable([RuntimeService, ImageService]);

function buildTable(services: readonly DescService[]): Map<string, MethodRow> {
  const table = new Map<string, MethodRow>();
  for (const method of services.flatMap((s) => s.methods)) {
    const path = `/${method.parent.typeName}/${method.name}`;
    const row = methodKinds.get(path);
    if (!row) throw new Error(`method table has no row for ${method.parent.typeName}/${method.name}`);
    if (row.streaming !== (method.methodKind === "server_streaming"))
      throw new Error(
        `method table row ${method.name}: its kind ${row.kind} does not match a ${method.methodKind} method`,
      );
    table.set(path, { ...row, method });
  }
  for (const path of methodKinds.keys()) {
    if (!table.has(path))
      throw new Error(`method table row ${path.slice(path.lastIndexOf("/") + 1)} names no generated method`);
  }
  return table;
}
