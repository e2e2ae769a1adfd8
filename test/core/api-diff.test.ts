// CRI v1 against v1alpha2, field by field and by number, from the generated descriptors: what
// a v1alpha2 runtime reads of kubelet's requests, and what kubelet reads of its answers.
import { describe, expect, test } from "bun:test";
import { fieldDiffs, fieldShape } from "../../src/core/api-diff.ts";
import { missingMethod, pathOn, STREAM_STAND_INS, v1alpha2Methods, v1OnlyMethods } from "../../src/core/api-version.ts";
import { methodTable } from "../../src/core/methods.ts";
import * as v1 from "../../src/gen/runtime/v1/api_pb.ts";
import * as alpha from "../../src/gen/runtime/v1alpha2/api_pb.ts";

describe("paths", () => {
  test.each([
    {
      desc: "a v1 runtime gets kubelet's path",
      api: "v1" as const,
      path: "/runtime.v1.RuntimeService/GetContainerEvents",
      expect: "/runtime.v1.RuntimeService/GetContainerEvents",
    },
    {
      desc: "a v1alpha2 runtime gets the same method of its package",
      api: "v1alpha2" as const,
      path: "/runtime.v1.RuntimeService/RunPodSandbox",
      expect: "/runtime.v1alpha2.RuntimeService/RunPodSandbox",
    },
    {
      desc: "images too",
      api: "v1alpha2" as const,
      path: "/runtime.v1.ImageService/PullImage",
      expect: "/runtime.v1alpha2.ImageService/PullImage",
    },
    {
      desc: "a method v1alpha2 lacks has no path",
      api: "v1alpha2" as const,
      path: "/runtime.v1.RuntimeService/GetContainerEvents",
      expect: undefined,
    },
    {
      desc: "a streaming list goes to the unary list it streams",
      api: "v1alpha2" as const,
      path: "/runtime.v1.RuntimeService/StreamContainers",
      expect: "/runtime.v1alpha2.RuntimeService/ListContainers",
    },
    {
      desc: "images too",
      api: "v1alpha2" as const,
      path: "/runtime.v1.ImageService/StreamImages",
      expect: "/runtime.v1alpha2.ImageService/ListImages",
    },
    {
      desc: "a streaming list whose unary list v1alpha2 lacks has none",
      api: "v1alpha2" as const,
      path: "/runtime.v1.RuntimeService/StreamPodSandboxMetrics",
      expect: undefined,
    },
    {
      desc: "an unknown method has no v1alpha2 path",
      api: "v1alpha2" as const,
      path: "/runtime.v1.RuntimeService/NoSuch",
      expect: undefined,
    },
  ])("$desc", ({ api, path, expect: want }) => {
    expect(pathOn(api, path)).toBe(want);
  });

  test("every v1alpha2 method has its v1 twin: the two versions pair up completely", () => {
    const alphaNames = [...alpha.RuntimeService.methods, ...alpha.ImageService.methods].map((m) => m.name).sort();
    expect([...new Set([...v1alpha2Methods.values()].map((p) => p.alpha.name))].sort()).toEqual(alphaNames);
    expect(v1alpha2Methods.size + v1OnlyMethods.length).toBe(methodTable.size);
    expect([...v1OnlyMethods].sort()).toEqual(
      [
        "CheckpointContainer",
        "GetContainerEvents",
        "ListMetricDescriptors",
        "ListPodSandboxMetrics",
        "RuntimeConfig",
        "StreamPodSandboxMetrics",
        "UpdatePodSandboxResources",
      ].sort(),
    );
  });

  test.each(Object.entries(STREAM_STAND_INS).map(([stream, list]) => ({ stream, list })))(
    "$stream is served by $list: same request, one answer message",
    ({ stream, list }) => {
      const rows = [...methodTable.values()];
      const s = rows.find((r) => r.method.name === stream)!.method;
      const l = rows.find((r) => r.method.name === list)!.method;
      const shapes = (fields: readonly { number: number }[]) =>
        fields.map((f) => `${f.number} ${fieldShape(f as never)}`);
      expect(shapes(s.input.fields)).toEqual(shapes(l.input.fields));
      // The unary answer has one field, 1, repeating the item type the stream's messages repeat in their field 1.
      expect(shapes(l.output.fields)).toEqual(shapes(s.output.fields));
      expect(l.output.fields.map((f) => [f.number, f.fieldKind])).toEqual([[1, "list"]]);
      expect(v1alpha2Methods.get(`/${s.parent.typeName}/${stream}`)?.alpha.name).toBe(list);
    },
  );

  test("the error for a missing method is Unimplemented and names the runtime, its API and the method", () => {
    const e = missingMethod("/runtime.v1.RuntimeService/GetContainerEvents", "vm", "v1alpha2");
    expect(e.code).toBe(12);
    expect(e.rawMessage).toBe("runtime vm speaks CRI v1alpha2, which has no GetContainerEvents");
  });
});

describe("answers coming up: a v1alpha2 answer decodes as v1", () => {
  test.each([...v1alpha2Methods].map(([path, p]) => ({ path, p })))("$path", ({ p }) => {
    // No field of a v1alpha2 answer is unknown to v1 or read by v1 as another field.
    expect(fieldDiffs(p.alpha.output, p.v1.output)).toEqual([]);
  });
});

describe("requests going down: what a v1alpha2 runtime does not know in kubelet's v1 requests", () => {
  const diffs = [...v1alpha2Methods.values()].flatMap((p) => fieldDiffs(p.v1.input, p.alpha.input));
  const unique = [...new Map(diffs.map((d) => [`${d.message}.${d.field}`, d])).values()];

  test("the one misread: KeyValue.value (env values) is bytes in v1, a string in v1alpha2", () => {
    expect(unique.filter((d) => d.kind === "misread")).toEqual([
      { message: "runtime.v1.KeyValue", field: "value", number: 2, kind: "misread", as: "value scalar::9:" },
    ]);
  });

  test("the v1-only request fields (README: v1-only fields) are exactly these", () => {
    // When a CRI bump changes this list, update the README table and core/v1alpha2-request.ts refusals.
    expect(
      unique
        .filter((d) => d.kind === "unknown")
        .map((d) => `${d.message.replace("runtime.v1.", "")}.${d.field}`)
        .sort(),
    ).toEqual(
      [
        "ContainerConfig.CDI_devices",
        "ContainerConfig.stop_signal",
        "ImageSpec.image_ref",
        "ImageSpec.runtime_handler",
        "ImageSpec.user_specified_image",
        "LinuxContainerSecurityContext.supplemental_groups_policy",
        "LinuxSandboxSecurityContext.supplemental_groups_policy",
        "Mount.gidMappings",
        "Mount.image",
        "Mount.image_sub_path",
        "Mount.recursive_read_only",
        "Mount.uidMappings",
        "WindowsContainerResources.affinity_cpus",
        "WindowsSandboxSecurityContext.namespace_options",
      ].sort(),
    );
  });

  test("a nested type is compared with what the other version decodes it as", () => {
    expect(fieldDiffs(v1.MountSchema, alpha.MountSchema).map((d) => d.field)).toEqual([
      "uidMappings",
      "gidMappings",
      "recursive_read_only",
      "image",
      "image_sub_path",
    ]);
    expect(fieldDiffs(v1.VersionRequestSchema, alpha.VersionRequestSchema)).toEqual([]);
    // Read the other way, v1alpha2's Mount is all known to v1.
    expect(fieldDiffs(alpha.MountSchema, v1.MountSchema)).toEqual([]);
  });
});
