// Test helpers: method rows by name, the routing table most tests use, and the answer rows of
// the rewrite tests.
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { methodTable, type MethodRow } from "../../src/core/methods.ts";
import { routingTable } from "../../src/core/routing-table.ts";

/** The method table row of a CRI method, by its short name (`ListContainers`). */
export function row(name: string): MethodRow {
  for (const r of methodTable.values()) if (r.method.name === name) return r;
  throw new Error(`no method ${name}`);
}

/** Backends vm and gpu.example; RuntimeClass `kata` -> vm's `kata-fc`, `vmdefault` -> vm's default, `nvidia` -> gpu.example's `nvidia`. */
export const table = routingTable(["vm", "gpu.example"], {
  kata: { backend: "vm", handler: "kata-fc" },
  vmdefault: { backend: "vm", handler: "" },
  nvidia: { backend: "gpu.example", handler: "nvidia" },
});

export const DIGEST = `sha256:${"ab".repeat(32)}`;

/** A rewrite test's row: a named runtime's answer, and what kubelet must get from it. */
export interface AnswerRow {
  desc: string;
  schema: DescMessage;
  answer: Message;
  expect: Message;
}
