import { describe, expect, test } from "bun:test";
import { clone, create, fromBinary, toBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { toKubelet } from "../../src/core/rewrite.ts";
import { toKubeletWire } from "../../src/core/wire-rewrite.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { type AnswerRow, DIGEST, table } from "./rows.ts";

const c = create;

/** What kubelet decodes from the wire rewrite of answer. */
function viaWire(schema: DescMessage, answer: Message, backend = "vm"): Message {
  return fromBinary(schema, toKubeletWire(schema, toBinary(schema, answer), backend, table));
}

describe("toKubeletWire: the same answers as the decode path, from bytes", () => {
  test.each<AnswerRow>([
    {
      desc: "ListContainers: ids, sandbox id, image spec, image_ref, image_id; labels and annotations untouched",
      schema: api.ListContainersResponseSchema,
      answer: c(api.ListContainersResponseSchema, {
        containers: [
          {
            id: "c1",
            podSandboxId: "s1",
            image: { image: "cirros", userSpecifiedImage: "cirros" },
            imageRef: DIGEST,
            imageId: "img1",
            labels: { id: "c1" },
            createdAt: 5n,
          },
          {
            id: "c2",
            metadata: { name: "app", attempt: 2 },
            annotations: { "io.kubernetes.container.hash": "c2" },
            state: api.ContainerState.CONTAINER_EXITED,
          },
        ],
      }),
      expect: c(api.ListContainersResponseSchema, {
        containers: [
          {
            id: "vm__c1",
            podSandboxId: "vm__s1",
            image: { image: "vm/cirros", userSpecifiedImage: "vm/cirros" },
            imageRef: DIGEST,
            imageId: "vm/img1",
            labels: { id: "c1" },
            createdAt: 5n,
          },
          {
            id: "vm__c2",
            metadata: { name: "app", attempt: 2 },
            annotations: { "io.kubernetes.container.hash": "c2" },
            state: api.ContainerState.CONTAINER_EXITED,
          },
        ],
      }),
    },
    {
      desc: "ListPodSandbox: id and claimed runtime handler named back, others kept",
      schema: api.ListPodSandboxResponseSchema,
      answer: c(api.ListPodSandboxResponseSchema, {
        items: [
          { id: "s1", runtimeHandler: "kata-fc" },
          { id: "s2", runtimeHandler: "other", labels: { a: "b" } },
        ],
      }),
      expect: c(api.ListPodSandboxResponseSchema, {
        items: [
          { id: "vm__s1", runtimeHandler: "kata" },
          { id: "vm__s2", runtimeHandler: "other", labels: { a: "b" } },
        ],
      }),
    },
    {
      desc: "ContainerStatus: id, image, image_ref; info untouched",
      schema: api.ContainerStatusResponseSchema,
      answer: c(api.ContainerStatusResponseSchema, {
        status: {
          id: "c1",
          image: { image: "x:1", userSpecifiedImage: "x:1" },
          imageRef: `x@${DIGEST}`,
          imageId: DIGEST,
          reason: "Completed",
          exitCode: 1,
        },
        info: { info: '{"id":"c1"}' },
      }),
      expect: c(api.ContainerStatusResponseSchema, {
        status: {
          id: "vm__c1",
          image: { image: "vm/x:1", userSpecifiedImage: "vm/x:1" },
          imageRef: `vm/x@${DIGEST}`,
          imageId: DIGEST,
          reason: "Completed",
          exitCode: 1,
        },
        info: { info: '{"id":"c1"}' },
      }),
    },
    {
      desc: "ContainerEvent: container id, sandbox status, container statuses",
      schema: api.ContainerEventResponseSchema,
      answer: c(api.ContainerEventResponseSchema, {
        containerId: "c1",
        containerEventType: api.ContainerEventType.CONTAINER_STARTED_EVENT,
        podSandboxStatus: { id: "s1", runtimeHandler: "kata-fc" },
        containersStatuses: [
          { id: "c1", imageRef: `docker.io/x@${DIGEST}`, imageId: DIGEST, image: { image: DIGEST } },
        ],
      }),
      expect: c(api.ContainerEventResponseSchema, {
        containerId: "vm__c1",
        containerEventType: api.ContainerEventType.CONTAINER_STARTED_EVENT,
        podSandboxStatus: { id: "vm__s1", runtimeHandler: "kata" },
        containersStatuses: [
          { id: "vm__c1", imageRef: `vm/docker.io/x@${DIGEST}`, imageId: DIGEST, image: { image: DIGEST } },
        ],
      }),
    },
    {
      desc: "ListImages: repeated repo tags and digests prefixed, digest id untouched",
      schema: api.ListImagesResponseSchema,
      answer: c(api.ListImagesResponseSchema, {
        images: [
          { id: DIGEST, repoTags: ["x:1", "", "y:2"], repoDigests: [`x@${DIGEST}`], size: 300n, username: "root" },
        ],
      }),
      expect: c(api.ListImagesResponseSchema, {
        images: [
          {
            id: DIGEST,
            repoTags: ["vm/x:1", "", "vm/y:2"],
            repoDigests: [`vm/x@${DIGEST}`],
            size: 300n,
            username: "root",
          },
        ],
      }),
    },
    {
      desc: "ListPodSandboxStats: sandbox attributes and nested container attributes",
      schema: api.ListPodSandboxStatsResponseSchema,
      answer: c(api.ListPodSandboxStatsResponseSchema, {
        stats: [
          {
            attributes: { id: "s1", labels: { x: "s1" } },
            linux: { containers: [{ attributes: { id: "c1" }, cpu: { timestamp: 7n } }] },
          },
        ],
      }),
      expect: c(api.ListPodSandboxStatsResponseSchema, {
        stats: [
          {
            attributes: { id: "vm__s1", labels: { x: "s1" } },
            linux: { containers: [{ attributes: { id: "vm__c1" }, cpu: { timestamp: 7n } }] },
          },
        ],
      }),
    },
    {
      desc: "PodSandboxStatus: id, handler, target container id, info untouched",
      schema: api.PodSandboxStatusResponseSchema,
      answer: c(api.PodSandboxStatusResponseSchema, {
        status: { id: "s1", runtimeHandler: "kata-fc", linux: { namespaces: { options: { targetId: "c9" } } } },
        info: { info: '{"sandboxID":"s1"}' },
        containersStatuses: [{ id: "c1" }],
      }),
      expect: c(api.PodSandboxStatusResponseSchema, {
        status: { id: "vm__s1", runtimeHandler: "kata", linux: { namespaces: { options: { targetId: "vm__c9" } } } },
        info: { info: '{"sandboxID":"s1"}' },
        containersStatuses: [{ id: "vm__c1" }],
      }),
    },
    {
      desc: "a long id grows a length prefix past 127 bytes",
      schema: api.ContainerStatusResponseSchema,
      answer: c(api.ContainerStatusResponseSchema, { status: { id: "c".repeat(124), labels: { k: "v".repeat(100) } } }),
      expect: c(api.ContainerStatusResponseSchema, {
        status: { id: `vm__${"c".repeat(124)}`, labels: { k: "v".repeat(100) } },
      }),
    },
  ])("$desc", ({ schema, answer, expect: want }) => {
    expect(viaWire(schema, answer)).toEqual(want);
    expect(toKubeletWire(schema, toBinary(schema, answer), "vm", table)).toEqual(
      toBinary(schema, toKubelet(schema, clone(schema, answer), "vm", table)),
    );
  });

  test("the primary's answers are the input bytes, same object", () => {
    const bytes = toBinary(
      api.ListContainersResponseSchema,
      c(api.ListContainersResponseSchema, { containers: [{ id: "c1" }] }),
    );
    expect(toKubeletWire(api.ListContainersResponseSchema, bytes, "")).toBe(bytes);
    expect(toKubeletWire(api.ListContainersResponseSchema, bytes, "", table)).toBe(bytes);
  });

  test("an answer with nothing to rewrite is the input bytes, same object", () => {
    const bytes = toBinary(
      api.ListImagesResponseSchema,
      c(api.ListImagesResponseSchema, { images: [{ id: DIGEST, size: 3n }] }),
    );
    expect(toKubeletWire(api.ListImagesResponseSchema, bytes, "vm", table)).toBe(bytes);
  });

  test("an explicitly encoded empty handler stays empty, as the decode path leaves an unset field", () => {
    // rows.ts claims vm's default handler "" as `vmdefault`; proto3 "" is unset, so toKubelet skips it.
    const bytes = new BinaryWriter()
      .tag(1, 2)
      .bytes(new BinaryWriter().tag(1, 2).string("s1").tag(7, 2).string("").finish())
      .finish();
    const schema = api.ListPodSandboxResponseSchema;
    expect(fromBinary(schema, toKubeletWire(schema, bytes, "vm", table))).toEqual(
      toKubelet(schema, fromBinary(schema, bytes), "vm", table),
    );
    expect(fromBinary(schema, toKubeletWire(schema, bytes, "vm", table)).items[0].runtimeHandler).toBe("");
  });

  test("unknown fields, also inside rewritten messages, are kept where they are", () => {
    const container = new BinaryWriter()
      .tag(1, 2)
      .string("c1")
      .tag(999, 0)
      .uint64(7n)
      .tag(998, 2)
      .bytes(new Uint8Array([1, 2]))
      .tag(997, 5)
      .fixed32(9)
      .finish();
    const bytes = new BinaryWriter().tag(1, 2).bytes(container).tag(1000, 1).fixed64(1n).finish();
    const want = new BinaryWriter()
      .tag(1, 2)
      .bytes(
        new BinaryWriter()
          .tag(1, 2)
          .string("vm__c1")
          .tag(999, 0)
          .uint64(7n)
          .tag(998, 2)
          .bytes(new Uint8Array([1, 2]))
          .tag(997, 5)
          .fixed32(9)
          .finish(),
      )
      .tag(1000, 1)
      .fixed64(1n)
      .finish();
    expect(toKubeletWire(api.ListContainersResponseSchema, bytes, "vm", table)).toEqual(want);
  });
});
