// Fan-in: merging the answers of several backends into the one kubelet gets.
import { clone, create, type DescMessage } from "@bufbuild/protobuf";
import {
  ListMetricDescriptorsResponseSchema,
  type ListMetricDescriptorsResponse,
  type RuntimeHandler,
  type StatusResponse,
  StatusResponseSchema,
} from "../gen/runtime/v1/api_pb.ts";
import { kubeletNamesOf, type RoutingTable } from "./routing-table.ts";

/** How fan-out answers of a method combine, by its response type (checked before concat: descriptors need dedupe). */
export type MergeStrategy = "status" | "metric-descriptors" | "concat" | "primary";

/** The merge strategy for a response type: mergeStatus, mergeMetricDescriptors, byte concatenation, or the primary's answer alone. */
export function mergeStrategy(schema: DescMessage): MergeStrategy {
  if (schema.typeName === StatusResponseSchema.typeName) return "status";
  if (schema.typeName === ListMetricDescriptorsResponseSchema.typeName) return "metric-descriptors";
  // Otherwise (UpdateRuntimeConfigResponse: empty) every backend was told; the primary answers.
  return concatMergeable(schema) ? "concat" : "primary";
}

/** True when every field is repeated: then the merged answer is the concatenation of the encoded answers. */
export function concatMergeable(schema: DescMessage): boolean {
  // Protobuf parsing appends repeated fields met again, so concat(a, b) decodes as a then b.
  return schema.fields.length > 0 && schema.fields.every((f) => f.fieldKind === "list");
}

/** A named backend's answer to a fan-in call. */
export interface NamedAnswer<T> {
  readonly backend: string;
  readonly answer: T;
}

/**
 * Status as kubelet sees it: the primary's conditions and features alone decide readiness
 * (an absent named runtime must not make the node NotReady: its own DaemonSet pod must still
 * schedule); runtime_handlers are every handler kubelet can route, under each name that routes
 * back to the runtime that reported it, with that runtime's features.
 */
export function mergeStatus(
  primary: StatusResponse,
  named: readonly NamedAnswer<StatusResponse>[],
  table: RoutingTable,
): StatusResponse {
  const merged = clone(StatusResponseSchema, primary);
  const seen = new Set<string>();
  const handlers: RuntimeHandler[] = [];
  for (const { backend, answer } of [{ backend: "", answer: primary }, ...named]) {
    for (const h of answer.runtimeHandlers) {
      // A handler that routes elsewhere (a conflict, or a named runtime's handler nobody can reach) is left out.
      for (const name of kubeletNamesOf(table, backend, h.name)) {
        if (seen.has(name)) continue;
        seen.add(name);
        handlers.push({ ...h, name });
      }
    }
  }
  merged.runtimeHandlers = handlers;
  for (const { backend, answer } of named) {
    // Verbose info is JSON per key; a named runtime's whole info nests under its name.
    const keys = Object.keys(answer.info);
    if (keys.length === 0) continue;
    merged.info[backend] = JSON.stringify(Object.fromEntries(keys.map((k) => [k, parseJson(answer.info[k])])));
  }
  return merged;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Metric descriptors of every backend, deduplicated by name, first part (the primary) first. */
export function mergeMetricDescriptors(parts: readonly ListMetricDescriptorsResponse[]): ListMetricDescriptorsResponse {
  const seen = new Set<string>();
  const merged = create(ListMetricDescriptorsResponseSchema);
  for (const part of parts) {
    for (const d of part.descriptors) {
      if (seen.has(d.name)) continue;
      seen.add(d.name);
      merged.descriptors.push(d);
    }
  }
  return merged;
}
