// Test helper: compare a Plan with a table row's expectation.
import { expect } from "bun:test";
import type { Message } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { PodView } from "../../src/core/pod-placement.ts";
import { route, type Follow, type Plan } from "../../src/core/route.ts";
import type { RoutingTable } from "../../src/core/routing-table.ts";
import { row, table } from "./rows.ts";

/** What a row expects: a plan (request undefined = original bytes), or an error code and message fragments. */
export type Want =
  | { kind: "one"; backend: string; request?: Message; follow?: Follow }
  | { kind: "fan-out"; request?: Message }
  | { kind: "lookup"; backends: string[]; image: string; presence: boolean }
  | { kind: "empty" }
  | { kind: "error"; code: Code; says: string[] };

/** Asserts plan matches want. */
export function expectPlan(plan: Plan, want: Want): void {
  if (want.kind === "error") {
    expect(plan.kind).toBe("error");
    if (plan.kind !== "error") return;
    expect(Code[plan.error.code]).toBe(Code[want.code]);
    for (const s of want.says) expect(plan.error.rawMessage).toContain(s);
    return;
  }
  if (plan.kind === "error") throw new Error(`unexpected error plan: ${plan.error.rawMessage}`);
  expect(plan.kind).toBe(want.kind);
  if (want.kind === "one" && plan.kind === "one") {
    expect(plan.backend).toBe(want.backend);
    if (want.follow !== undefined) expect(plan.follow).toEqual(want.follow);
  }
  if (want.kind === "lookup" && plan.kind === "lookup")
    expect({ backends: plan.backends, image: plan.image, presence: plan.presence }).toEqual({
      backends: want.backends,
      image: want.image,
      presence: want.presence,
    });
  if ("request" in plan || "request" in want) {
    expect((plan as { request?: Message }).request).toEqual((want as { request?: Message }).request);
  }
}

/** A route table row: a request to a method, and the plan it must get. */
export interface Row {
  desc: string;
  method: string;
  request: Message;
  expect: Want;
  /** The routing table; the shared one (rows.ts) when unset. */
  table?: RoutingTable;
  /** What is known of pods; none when unset. */
  pods?: PodView;
}

/** Routes a row's request with its table (the shared one by default) and checks the plan. */
export const runRow = ({ method, request, expect: want, table: t, pods }: Row) =>
  expectPlan(route(row(method), request, t ?? table, pods), want);
