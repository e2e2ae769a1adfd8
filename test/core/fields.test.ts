// The completeness guard: when `buf generate` brings a new CRI version, any new field that
// looks like an id or an image reference fails here until core/fields.ts classifies it.
import { describe, expect, test } from "bun:test";
import type { DescMessage } from "@bufbuild/protobuf";
import {
  classifiedFields,
  fieldKey,
  fieldPlan,
  isStringField,
  reachableMessages,
  untouchedFields,
} from "../../src/core/fields.ts";
import { methodTable } from "../../src/core/methods.ts";
import { idField } from "../../src/core/route.ts";
import {
  ContainerStatsSchema,
  ListContainersResponseSchema,
  LinuxContainerResourcesSchema,
  VersionResponseSchema,
} from "../../src/gen/runtime/v1/api_pb.ts";
import * as alpha from "../../src/gen/runtime/v1alpha2/api_pb.ts";

// id, *_id, *_ids (sandbox, container, target, image ids), anything about images or handlers,
// and free-form info maps (which may carry ids and must be a conscious decision).
const LOOKS_ROUTABLE = /(^|_)ids?$|image|repo_tags|repo_digests|handler|^info$/;

describe("field table completeness", () => {
  // Shown as the message's own name (runtime.v1alpha2.X.y), looked up by the table's key (runtime.v1.X.y).
  const suspects = reachableMessages.flatMap((desc) =>
    desc.fields
      .filter((f) => isStringField(f) && LOOKS_ROUTABLE.test(f.name))
      .map((f) => ({ name: `${desc.typeName}.${f.name}`, key: fieldKey(desc, f) })),
  );
  const names = suspects.map((s) => s.name);

  test("the guard sees the fields it is meant to see", () => {
    expect(reachableMessages.length).toBeGreaterThan(100);
    expect(names).toContain("runtime.v1.Container.pod_sandbox_id");
    expect(names).toContain("runtime.v1.Image.repo_tags");
    expect(names).toContain("runtime.v1.NamespaceOption.target_id");
    // A v1alpha2-only runtime's answers are rewritten with the v1alpha2 types: the guard walks them too.
    expect(names).toContain("runtime.v1alpha2.Container.pod_sandbox_id");
    expect(names).toContain("runtime.v1alpha2.ContainerStatus.image_ref");
  });

  test.each(suspects)("$name is classified or deliberately untouched", ({ name, key }) => {
    const known = key in classifiedFields || key in untouchedFields;
    if (!known) {
      throw new Error(
        `${name} looks like an id, image reference or runtime handler, but src/core/fields.ts does not know it as ${key}. ` +
          `Read its comment in proto/runtime/v1/api.proto, then add it to classifiedFields (sandbox-id, container-id, image, handler) ` +
          `or to untouchedFields with the reason it must reach kubelet unchanged.`,
      );
    }
  });

  test("every untouched field has a reason", () => {
    for (const [key, reason] of Object.entries(untouchedFields)) expect(reason.length, key).toBeGreaterThan(10);
  });

  test("no field is both classified and untouched", () => {
    for (const key of Object.keys(untouchedFields)) expect(classifiedFields[key], key).toBeUndefined();
  });
});

describe("walk plans", () => {
  test.each<{ desc: string; schema: DescMessage; expect: string[] }>([
    { desc: "list answer descends into its items", schema: ListContainersResponseSchema, expect: ["containers"] },
    { desc: "stats descend into attributes only", schema: ContainerStatsSchema, expect: ["attributes"] },
    { desc: "no ids: nothing to walk", schema: VersionResponseSchema, expect: [] },
    { desc: "no ids deep down: nothing to walk", schema: LinuxContainerResourcesSchema, expect: [] },
    {
      desc: "a v1alpha2 list answer is walked like v1's",
      schema: alpha.ListContainersResponseSchema,
      expect: ["containers"],
    },
    {
      desc: "a v1alpha2 item has the v1 classified fields it shares",
      schema: alpha.ContainerSchema,
      expect: ["id", "pod_sandbox_id", "image", "image_ref"],
    },
    { desc: "v1alpha2 stats descend into attributes only", schema: alpha.ContainerStatsSchema, expect: ["attributes"] },
  ])("$desc", ({ schema, expect: want }) => {
    expect(fieldPlan(schema).map((e) => e.field.name)).toEqual(want);
  });

  test.each(
    [...methodTable.values()]
      .filter((r) => ["sandbox", "container", "create"].includes(r.kind))
      .map((r) => ({ name: r.method.name, r })),
  )("$name routes by a top-level id field", ({ r }) => {
    const field = idField(r.method.input);
    expect(field?.name).toMatch(/^(pod_sandbox_id|container_id)$/);
    expect(field?.name).toBe(r.kind === "container" ? "container_id" : "pod_sandbox_id");
  });
});
