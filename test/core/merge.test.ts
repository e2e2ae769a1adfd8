import { describe, expect, test } from "bun:test";
import { create, fromBinary, toBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import {
  concatMergeable,
  mergeMetricDescriptors,
  mergeStatus,
  mergeStrategy,
  type MergeStrategy,
} from "../../src/core/merge.ts";
import { methodTable } from "../../src/core/methods.ts";
import { toKubelet } from "../../src/core/rewrite.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { routingTable } from "../../src/core/routing-table.ts";
import { table } from "./rows.ts";

const c = create;

describe("concatMergeable: list answers merge by concatenating bytes", () => {
  test.each([
    { desc: "ListContainersResponse", schema: api.ListContainersResponseSchema, expect: true },
    { desc: "ImageFsInfoResponse", schema: api.ImageFsInfoResponseSchema, expect: true },
    { desc: "StatusResponse", schema: api.StatusResponseSchema, expect: false },
    { desc: "empty response", schema: api.StopContainerResponseSchema, expect: false },
  ])("$desc: $expect", ({ schema, expect: want }) => expect(concatMergeable(schema)).toBe(want));

  test("every list and list-stream answer is concat-mergeable", () => {
    for (const r of methodTable.values()) {
      if (r.kind === "list" || r.kind === "list-stream") expect(concatMergeable(r.method.output), r.path).toBe(true);
    }
  });

  const cases: { desc: string; schema: DescMessage; a: Message; b: Message; expect: Message }[] = [
    {
      desc: "ListContainers: primary's then vm's (rewritten)",
      schema: api.ListContainersResponseSchema,
      a: c(api.ListContainersResponseSchema, { containers: [{ id: "c1", labels: { a: "1" } }] }),
      b: toKubelet(
        api.ListContainersResponseSchema,
        c(api.ListContainersResponseSchema, { containers: [{ id: "c1", podSandboxId: "s1" }, { id: "c2" }] }),
        "vm",
      ),
      expect: c(api.ListContainersResponseSchema, {
        containers: [{ id: "c1", labels: { a: "1" } }, { id: "vm__c1", podSandboxId: "vm__s1" }, { id: "vm__c2" }],
      }),
    },
    {
      desc: "ImageFsInfo: both repeated fields concatenated",
      schema: api.ImageFsInfoResponseSchema,
      a: c(api.ImageFsInfoResponseSchema, {
        imageFilesystems: [{ timestamp: 1n, fsId: { mountpoint: "/a" } }],
        containerFilesystems: [{ timestamp: 2n }],
      }),
      b: c(api.ImageFsInfoResponseSchema, { imageFilesystems: [{ timestamp: 3n, fsId: { mountpoint: "/b" } }] }),
      expect: c(api.ImageFsInfoResponseSchema, {
        imageFilesystems: [
          { timestamp: 1n, fsId: { mountpoint: "/a" } },
          { timestamp: 3n, fsId: { mountpoint: "/b" } },
        ],
        containerFilesystems: [{ timestamp: 2n }],
      }),
    },
    {
      desc: "empty answers add nothing",
      schema: api.ListImagesResponseSchema,
      a: c(api.ListImagesResponseSchema),
      b: c(api.ListImagesResponseSchema, { images: [{ id: "i", repoTags: ["x"] }] }),
      expect: c(api.ListImagesResponseSchema, { images: [{ id: "i", repoTags: ["x"] }] }),
    },
  ];
  test.each(cases)("decode(concat(a, b)) is the merged answer: $desc", ({ schema, a, b, expect: want }) => {
    const merged = fromBinary(schema, Buffer.concat([toBinary(schema, a), toBinary(schema, b)]));
    expect(merged).toEqual(want);
  });
});

describe("mergeStrategy: how each fan-out method's answers combine", () => {
  test.each<{ method: string; expect: MergeStrategy }>([
    { method: "Status", expect: "status" },
    { method: "ListMetricDescriptors", expect: "metric-descriptors" },
    { method: "ImageFsInfo", expect: "concat" },
    { method: "ListContainers", expect: "concat" },
    { method: "StreamPodSandboxes", expect: "concat" },
    { method: "ListImages", expect: "concat" },
    { method: "UpdateRuntimeConfig", expect: "primary" },
  ])("$method: $expect", ({ method, expect: want }) => {
    const r = [...methodTable.values()].find((m) => m.method.name === method)!;
    expect(mergeStrategy(r.method.output)).toBe(want);
  });
});

describe("mergeStatus", () => {
  const ready = [
    { type: "RuntimeReady", status: true },
    { type: "NetworkReady", status: true },
  ];
  const primary = c(api.StatusResponseSchema, {
    status: { conditions: ready },
    runtimeHandlers: [{ name: "" }, { name: "runc" }, { name: "kata", features: { userNamespaces: true } }],
    features: { supplementalGroupsPolicy: true },
    info: { config: "{}" },
  });
  const vm = c(api.StatusResponseSchema, {
    status: { conditions: [{ type: "RuntimeReady", status: false, reason: "Starting" }] },
    runtimeHandlers: [
      { name: "kata-fc", features: { recursiveReadOnlyMounts: true } },
      { name: "" },
      { name: "unclaimed" },
    ],
    info: { version: '{"v":1}', note: "plain" },
  });
  const merged = mergeStatus(primary, [{ backend: "vm", answer: vm }], table);

  test("the primary's conditions and features alone decide readiness", () => {
    expect(merged.status).toEqual(primary.status);
    expect(merged.features).toEqual(primary.features);
  });

  test("handlers as kubelet names them, primary first, claimed ones from their backend", () => {
    // The primary's "kata" is vm's by configuration; vm's default is reached as "vmdefault" and as "vm" (its name).
    expect(merged.runtimeHandlers.map((h) => h.name)).toEqual(["", "runc", "kata", "vmdefault", "vm"]);
    expect(merged.runtimeHandlers[2].features).toEqual(vm.runtimeHandlers[0].features);
  });

  test("info nests each named runtime's info under its name", () => {
    expect(merged.info.config).toBe("{}");
    expect(JSON.parse(merged.info.vm)).toEqual({ version: { v: 1 }, note: "plain" });
  });

  test("no info from a named runtime adds no key; the primary answer is not mutated", () => {
    const m = mergeStatus(primary, [{ backend: "vm", answer: c(api.StatusResponseSchema) }], table);
    expect(Object.keys(m.info)).toEqual(["config"]);
    expect(primary.runtimeHandlers.map((h) => h.name)).toEqual(["", "runc", "kata"]);
  });
});

describe("mergeStatus: runtime_handlers match the routing, with discovered handlers", () => {
  const features = (n: number) => ({ recursiveReadOnlyMounts: n % 2 === 1, userNamespaces: n > 1 });
  const answer = (handlers: [string, number][]) =>
    c(api.StatusResponseSchema, { runtimeHandlers: handlers.map(([name, n]) => ({ name, features: features(n) })) });
  const primary = answer([
    ["", 0],
    ["runc", 1],
  ]);
  const vm = answer([
    ["", 2],
    ["kata-fc", 3],
    ["gvisor", 1],
    ["shared", 2],
    ["runc", 3],
  ]);
  const gpu = answer([
    ["", 1],
    ["nvidia", 2],
    ["shared", 3],
  ]);
  const reports = new Map([
    ["vm", vm.runtimeHandlers.map((h) => h.name)],
    ["gpu", gpu.runtimeHandlers.map((h) => h.name)],
  ]);
  const t = routingTable(["vm", "gpu"], { kata: { backend: "vm", handler: "kata-fc" } }, reports, ["", "runc"]);
  const merged = mergeStatus(
    primary,
    [
      { backend: "vm", answer: vm },
      { backend: "gpu", answer: gpu },
    ],
    t,
  );
  const byName = Object.fromEntries(merged.runtimeHandlers.map((h) => [h.name, h.features]));

  test("every handler kubelet can route, under every name that routes it back; none that routes elsewhere", () => {
    expect(merged.runtimeHandlers.map((h) => h.name)).toEqual([
      "",
      "runc",
      "vm",
      "kata",
      "kata-fc",
      "gvisor",
      "shared",
      "gpu",
      "nvidia",
    ]);
  });

  test.each([
    { name: "", from: primary.runtimeHandlers[0] },
    { name: "runc", from: primary.runtimeHandlers[1] }, // vm's runc loses to the primary's
    { name: "vm", from: vm.runtimeHandlers[0] },
    { name: "kata", from: vm.runtimeHandlers[1] },
    { name: "kata-fc", from: vm.runtimeHandlers[1] },
    { name: "shared", from: vm.runtimeHandlers[3] }, // vm comes before gpu in --connect
    { name: "gpu", from: gpu.runtimeHandlers[0] },
  ])("$name carries the features of the runtime it routes to", ({ name, from }) => {
    expect(byName[name]).toEqual(from.features);
  });

  test("each name routes to the runtime whose features it carries", () => {
    for (const h of merged.runtimeHandlers) {
      const owner = t.handlers.get(h.name)?.backend ?? "";
      const answerOf = { "": primary, vm, gpu }[owner]!;
      const seen = t.handlers.get(h.name)?.handler ?? h.name;
      expect(answerOf.runtimeHandlers.find((r) => r.name === seen)?.features, h.name).toEqual(h.features);
    }
  });
});

describe("mergeMetricDescriptors", () => {
  test("union by name, primary first", () => {
    const p = c(api.ListMetricDescriptorsResponseSchema, {
      descriptors: [{ name: "cpu", help: "primary" }, { name: "mem" }],
    });
    const v = c(api.ListMetricDescriptorsResponseSchema, {
      descriptors: [{ name: "cpu", help: "vm" }, { name: "net" }],
    });
    const merged = mergeMetricDescriptors([p, v]);
    expect(merged.descriptors.map((d) => `${d.name}:${d.help}`)).toEqual(["cpu:primary", "mem:", "net:"]);
  });
});
