// Properties over generated names and answers: no id from a named backend reaches kubelet
// unprefixed, and what the proxy adds it removes again exactly.
import { describe, expect, test } from "bun:test";
import { clone, create, type DescMessage, type Message } from "@bufbuild/protobuf";
import fc from "fast-check";
import { isDigest, prefixId, prefixImage, splitId, splitImage } from "../../src/core/names.ts";
import { route } from "../../src/core/route.ts";
import { rewriteStrings, toBackend, toKubelet } from "../../src/core/rewrite.ts";
import { routingTable } from "../../src/core/routing-table.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { arbitraryMessage, trickyString } from "./arbitrary-message.ts";
import { row } from "./rows.ts";

const backendName = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?(\.[a-z0-9]{1,4}){0,2}$/);
const anyId = fc.string({ maxLength: 24, unit: "binary" });

describe("names round-trip", () => {
  test("splitId(prefixId(b, id)) = {b, id}; the primary's ids are never split by other names", () => {
    fc.assert(
      fc.property(backendName, anyId, (b, id) => {
        const names = new Set([b]);
        expect(splitId(prefixId(b, id), names)).toEqual(id === "" ? { backend: "", id: "" } : { backend: b, id });
        if (!id.startsWith(`${b}__`)) expect(splitId(id, names)).toEqual({ backend: "", id });
      }),
      { numRuns: 2500 },
    );
  });

  test("splitImage(prefixImage(b, ref)) = {b, ref} unless ref is a digest or empty", () => {
    const ref = fc.oneof(anyId, fc.stringMatching(/^sha(256|512):[0-9a-f]{32,64}$/));
    fc.assert(
      fc.property(backendName, ref, (b, r) => {
        const names = new Set([b]);
        const kept = r === "" || isDigest(r);
        expect(prefixImage(b, r)).toBe(kept ? r : `${b}/${r}`);
        expect(splitImage(prefixImage(b, r), names)).toEqual(kept ? { backend: "", ref: r } : { backend: b, ref: r });
      }),
      { numRuns: 2500 },
    );
  });

  test("a prefixed container id routes to its backend, which sees its own id", () => {
    fc.assert(
      fc.property(
        backendName,
        anyId.filter((id) => id !== ""),
        (b, id) => {
          const plan = route(
            row("StopContainer"),
            create(api.StopContainerRequestSchema, { containerId: prefixId(b, id) }),
            routingTable([b]),
          );
          expect(plan).toMatchObject({ kind: "one", backend: b, request: { containerId: id } });
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("answers from a named backend", () => {
  const table = routingTable(["vm", "gpu"], { "rc-vm": { backend: "vm", handler: "h-vm" } });
  const answers: { name: string; schema: DescMessage }[] = [
    { name: "ListContainers", schema: api.ListContainersResponseSchema },
    { name: "ListPodSandbox", schema: api.ListPodSandboxResponseSchema },
    { name: "ContainerEvent", schema: api.ContainerEventResponseSchema },
    { name: "ListImages", schema: api.ListImagesResponseSchema },
    { name: "ListPodSandboxStats", schema: api.ListPodSandboxStatsResponseSchema },
  ];

  test.each(answers)("$name: every id and image reaches kubelet with the backend's name", ({ schema }) => {
    fc.assert(
      fc.property(arbitraryMessage<Message>(schema), (answer) => {
        toKubelet(schema, answer, "vm", table);
        rewriteStrings(
          schema,
          answer,
          (cls, value) => {
            const ok =
              value === "" ||
              cls === "handler" ||
              (cls === "image" ? value.startsWith("vm/") || isDigest(value) : value.startsWith("vm__"));
            if (!ok) throw new Error(`${cls} "${value}" reached kubelet without the vm prefix`);
            return value;
          },
          false,
        );
      }),
      { numRuns: 500 },
    );
  });

  test.each(answers)("$name: toBackend(toKubelet(x)) equals x", ({ schema }) => {
    fc.assert(
      fc.property(arbitraryMessage<Message>(schema), (answer) => {
        const there = toKubelet(schema, clone(schema, answer), "vm", table);
        expect(toBackend(schema, there, "vm", table)).toEqual(answer);
      }),
      { numRuns: 500 },
    );
  });

  test("tricky strings really are tricky", () => {
    const samples = fc.sample(trickyString, 200);
    expect(samples.some((s) => s.includes("__"))).toBe(true);
    expect(samples.some((s) => isDigest(s))).toBe(true);
  });
});
