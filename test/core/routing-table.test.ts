import { describe, expect, test } from "bun:test";
import {
  describeConflict,
  handlerOwner,
  kubeletNamesOf,
  routingTable,
  withReports,
  type HandlerClaim,
} from "../../src/core/routing-table.ts";

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
    {
      desc: "claim for an unknown backend",
      names: ["vm"],
      handlers: { kata: { backend: "nosuch", handler: "" } },
      error: /unknown runtime "nosuch"/,
    },
  ])("rejects $desc", ({ names, handlers, error }) => {
    expect(() => routingTable(names, handlers)).toThrow(error);
  });
});

// Where each kubelet handler goes ("vm:kata-fc" = runtime vm, which sees kata-fc; "primary" =
// unclaimed, so the primary's own), and which reports lose, for configuration + reports.
interface TableRow {
  desc: string;
  configured?: Record<string, HandlerClaim>;
  reported?: Record<string, string[]>;
  primary?: string[];
  routes: Record<string, string>;
  conflicts?: string[];
}

const routeOf = (t: ReturnType<typeof routingTable>, h: string) => {
  const c = t.handlers.get(h);
  return c === undefined || c.backend === "" ? "primary" : `${c.backend}:${c.handler}`;
};

describe("handlers found, not configured: configuration, then runtime names, then the primary, then --connect order", () => {
  test.each<TableRow>([
    {
      desc: "a runtime's name goes to it, which sees its default handler",
      routes: { vm: "vm:", gpu: "gpu:", runc: "primary" },
    },
    {
      desc: "a runtime reporting a handler of its own name sees that handler",
      reported: { vm: ["", "vm"] },
      routes: { vm: "vm:vm" },
    },
    {
      desc: "the configuration wins over a runtime's name",
      configured: { vm: { backend: "gpu", handler: "x" } },
      routes: { vm: "gpu:x", gpu: "gpu:" },
    },
    {
      desc: "a reported handler goes to its runtime, which sees it unchanged",
      reported: { vm: ["", "kata-qemu"] },
      routes: { "kata-qemu": "vm:kata-qemu", "": "primary" },
    },
    {
      desc: "the configuration wins over a report; logged as a conflict",
      configured: { "kata-qemu": { backend: "gpu", handler: "" } },
      reported: { vm: ["kata-qemu"] },
      routes: { "kata-qemu": "gpu:" },
      conflicts: [
        'runtime handler "kata-qemu" reported by runtime "vm" goes to runtime "gpu": the configuration (--runtime-handler) claims it',
      ],
    },
    {
      desc: "configured for the same runtime under another handler: no conflict",
      configured: { kata: { backend: "vm", handler: "kata-fc" } },
      reported: { vm: ["kata", "kata-fc"] },
      routes: { kata: "vm:kata-fc", "kata-fc": "vm:kata-fc" },
    },
    {
      desc: "the primary keeps a handler it reports too",
      reported: { vm: ["runc", "gvisor"] },
      primary: ["", "runc"],
      routes: { runc: "primary", gvisor: "vm:gvisor" },
      conflicts: [
        'runtime handler "runc" reported by runtime "vm" goes to the primary runtime: the primary runtime reports it too, and the primary comes first',
      ],
    },
    {
      desc: "two runtimes reporting one handler: the first in --connect order",
      reported: { gpu: ["shared"], vm: ["shared"] },
      routes: { shared: "vm:shared" },
      conflicts: [
        'runtime handler "shared" reported by runtime "gpu" goes to runtime "vm": that runtime reports it too and comes first in --connect order',
      ],
    },
    {
      desc: "the primary reporting a configured or named handler loses it",
      configured: { kata: { backend: "vm", handler: "" } },
      primary: ["kata", "gpu"],
      routes: { kata: "vm:", gpu: "gpu:" },
      conflicts: [
        'runtime handler "kata" reported by the primary runtime goes to runtime "vm": the configuration (--runtime-handler) claims it',
        'runtime handler "gpu" reported by the primary runtime goes to runtime "gpu": it is that runtime\'s name',
      ],
    },
    {
      desc: "a runtime reporting another runtime's name loses it",
      reported: { vm: ["gpu"] },
      routes: { gpu: "gpu:" },
      conflicts: ['runtime handler "gpu" reported by runtime "vm" goes to runtime "gpu": it is that runtime\'s name'],
    },
    {
      desc: "names kubelet could never send (not a DNS label) and reports of unconfigured runtimes are ignored",
      reported: { vm: ["Kata", "a.b", "x".repeat(64)], gone: ["lost"] },
      routes: { Kata: "primary", "a.b": "primary", lost: "primary" },
    },
  ])("$desc", ({ configured = {}, reported = {}, primary = [], routes, conflicts = [] }) => {
    const t = routingTable(["vm", "gpu"], configured, new Map(Object.entries(reported)), primary);
    for (const [h, want] of Object.entries(routes)) expect(`${h} -> ${routeOf(t, h)}`).toBe(`${h} -> ${want}`);
    expect(t.conflicts.map(describeConflict)).toEqual(conflicts);
  });

  test("kubeletNamesOf: every name that reaches a backend handler, the configured one first", () => {
    const t = routingTable(
      ["vm"],
      { kata: { backend: "vm", handler: "kata-fc" }, vmdefault: { backend: "vm", handler: "" } },
      new Map([["vm", ["", "kata-fc"]]]),
      ["", "runc"],
    );
    expect(kubeletNamesOf(t, "vm", "kata-fc")).toEqual(["kata", "kata-fc"]);
    expect(kubeletNamesOf(t, "vm", "")).toEqual(["vmdefault", "vm"]);
    expect(kubeletNamesOf(t, "vm", "unreported")).toEqual([]);
    expect(kubeletNamesOf(t, "", "runc")).toEqual(["runc"]);
    expect(kubeletNamesOf(t, "", "kata")).toEqual([]); // vm's by configuration
  });

  test("withReports rebuilds the configured table with new reports; the configuration is kept", () => {
    const configured = routingTable(["vm"], { kata: { backend: "vm", handler: "kata-fc" } });
    const t = withReports(configured, new Map([["vm", ["gvisor"]]]), []);
    expect(routeOf(t, "kata")).toBe("vm:kata-fc");
    expect(routeOf(t, "gvisor")).toBe("vm:gvisor");
    expect(routeOf(configured, "gvisor")).toBe("primary");
  });
});
