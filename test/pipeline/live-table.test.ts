// The routing table a call reads: the configuration's with the runtimes' reports laid over it,
// rebuilt only when a report changes, each conflict logged once.
import { describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { routingTable } from "../../src/core/routing-table.ts";
import { StatusResponseSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { createLogger } from "../../src/log/logger.ts";
import { HandlerReports, MAX_HANDLERS } from "../../src/pipeline/handler-reports.ts";
import { liveTable } from "../../src/pipeline/live-table.ts";

const status = (...names: string[]) =>
  toBinary(StatusResponseSchema, create(StatusResponseSchema, { runtimeHandlers: names.map((name) => ({ name })) }));

describe("HandlerReports", () => {
  test("a changed report bumps the version; the same report again does not", () => {
    const r = new HandlerReports();
    expect(r.noteStatus("vm", status("", "kata"))).toBe(true);
    const v = r.version;
    expect(r.noteStatus("vm", status("", "kata"))).toBe(false);
    expect(r.version).toBe(v);
    expect(r.noteStatus("vm", status(""))).toBe(true);
    expect(r.of("vm")).toEqual([""]);
  });

  test("a garbled Status records nothing; a huge one is capped", () => {
    const r = new HandlerReports();
    expect(r.noteStatus("vm", Buffer.from([0xff, 0xff, 0xff]))).toBe(false);
    expect(r.of("vm")).toEqual([]);
    r.noteStatus("vm", status(...Array.from({ length: 1000 }, (_, i) => `h${i}`)));
    expect(r.of("vm").length).toBe(MAX_HANDLERS);
  });

  test("a runtime no longer configured loses its handlers", () => {
    const r = new HandlerReports();
    r.note("vm", ["kata"]);
    r.note("gpu", ["nvidia"]);
    r.keepOnly(new Set(["", "gpu"]));
    expect([...r.all.keys()]).toEqual(["gpu"]);
  });
});

describe("liveTable", () => {
  const configured = routingTable(["vm", "gpu"], { kata: { backend: "vm", handler: "kata-fc" } });

  test("reads the reports: a handler a runtime starts reporting routes at the next call", () => {
    const reports = new HandlerReports();
    const table = liveTable(configured, reports, createLogger({ v: 0, write: () => {} }));
    expect(table().handlers.get("nvidia")).toBeUndefined();
    reports.note("gpu", ["nvidia"]);
    expect(table().handlers.get("nvidia")).toEqual({ backend: "gpu", handler: "nvidia" });
    expect(table().handlers.get("kata")).toEqual({ backend: "vm", handler: "kata-fc" });
  });

  test("unchanged reports: the same table object, no rebuild", () => {
    const reports = new HandlerReports();
    reports.note("vm", ["gvisor"]);
    const table = liveTable(configured, reports, createLogger({ v: 0, write: () => {} }));
    const first = table();
    reports.note("vm", ["gvisor"]);
    expect(table()).toBe(first);
  });

  test("each conflict is logged once, however often the reports change", () => {
    const lines: string[] = [];
    const reports = new HandlerReports();
    const table = liveTable(
      configured,
      reports,
      createLogger({ v: 0, write: (l) => lines.push(l), repeatWindowMs: 0 }),
    );
    for (let i = 0; i < 5; i++) {
      reports.note("vm", ["shared", `x${i}`]);
      reports.note("gpu", ["shared", "kata"]);
      table();
    }
    expect(lines.filter((l) => l.includes('"shared" reported by runtime "gpu" goes to runtime "vm"'))).toHaveLength(1);
    expect(
      lines.filter((l) => l.includes('"kata" reported by runtime "gpu" goes to runtime "vm": the configuration')),
    ).toHaveLength(1);
    expect(lines).toHaveLength(2);
  });
});
