import { describe, expect, test } from "bun:test";
import { handlerOwner, routingTable, type HandlerClaim } from "../../src/core/routing-table.ts";

describe("routingTable", () => {
  test("names, set and handler claims in both directions", () => {
    const t = routingTable(["vm", "gpu"], new Map([["kata", { backend: "vm", handler: "kata-fc" }]]));
    expect(t.names).toEqual(["vm", "gpu"]);
    expect(t.nameSet.has("gpu")).toBe(true);
    expect(t.handlers.get("kata")).toEqual({ backend: "vm", handler: "kata-fc" });
    expect(t.kubeletHandlers.get("vm")?.get("kata-fc")).toBe("kata");
    expect(handlerOwner(t, "kata")).toBe("vm");
    expect(handlerOwner(t, "runc")).toBeUndefined();
  });

  test.each<{ desc: string; names: string[]; handlers: Record<string, HandlerClaim>; error: RegExp }>([
    { desc: "invalid name", names: ["VM"], handlers: {}, error: /invalid runtime name "VM"/ },
    { desc: "duplicate name", names: ["vm", "vm"], handlers: {}, error: /configured twice/ },
    { desc: "claim for an unknown backend", names: ["vm"], handlers: { kata: { backend: "nosuch", handler: "" } }, error: /unknown runtime "nosuch"/ },
  ])("rejects $desc", ({ names, handlers, error }) => {
    expect(() => routingTable(names, handlers)).toThrow(error);
  });
});
