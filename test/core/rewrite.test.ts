import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { toBackend, toKubelet } from "../../src/core/rewrite.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { type AnswerRow, DIGEST, table } from "./rows.ts";

const c = create;

describe("toKubelet: every id and image from a named backend carries its name", () => {
  test.each<AnswerRow>([
    {
      desc: "ListContainers: ids, sandbox id, image spec, image_ref, image_id",
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
          },
        ],
      }),
    },
    {
      desc: "ListPodSandbox: id and runtime handler named back",
      schema: api.ListPodSandboxResponseSchema,
      answer: c(api.ListPodSandboxResponseSchema, {
        items: [
          { id: "s1", runtimeHandler: "kata-fc" },
          { id: "s2", runtimeHandler: "other" },
        ],
      }),
      expect: c(api.ListPodSandboxResponseSchema, {
        items: [
          { id: "vm__s1", runtimeHandler: "kata" },
          { id: "vm__s2", runtimeHandler: "other" },
        ],
      }),
    },
    {
      desc: "PodSandboxStatus: id, target container id, info untouched",
      schema: api.PodSandboxStatusResponseSchema,
      answer: c(api.PodSandboxStatusResponseSchema, {
        status: { id: "s1", linux: { namespaces: { options: { targetId: "c9" } } } },
        info: { info: '{"sandboxID":"s1"}' },
      }),
      expect: c(api.PodSandboxStatusResponseSchema, {
        status: { id: "vm__s1", linux: { namespaces: { options: { targetId: "vm__c9" } } } },
        info: { info: '{"sandboxID":"s1"}' },
      }),
    },
    {
      desc: "ContainerEvent: container id, sandbox status, container statuses",
      schema: api.ContainerEventResponseSchema,
      answer: c(api.ContainerEventResponseSchema, {
        containerId: "c1",
        podSandboxStatus: { id: "s1" },
        containersStatuses: [
          { id: "c1", imageRef: `docker.io/x@${DIGEST}`, imageId: DIGEST, image: { image: DIGEST } },
        ],
      }),
      expect: c(api.ContainerEventResponseSchema, {
        containerId: "vm__c1",
        podSandboxStatus: { id: "vm__s1" },
        containersStatuses: [
          { id: "vm__c1", imageRef: `vm/docker.io/x@${DIGEST}`, imageId: DIGEST, image: { image: DIGEST } },
        ],
      }),
    },
    {
      desc: "ListImages: repo tags and digests prefixed, digest id untouched",
      schema: api.ListImagesResponseSchema,
      answer: c(api.ListImagesResponseSchema, {
        images: [{ id: DIGEST, repoTags: ["x:1", "y:2"], repoDigests: [`x@${DIGEST}`], username: "root" }],
      }),
      expect: c(api.ListImagesResponseSchema, {
        images: [{ id: DIGEST, repoTags: ["vm/x:1", "vm/y:2"], repoDigests: [`vm/x@${DIGEST}`], username: "root" }],
      }),
    },
    {
      desc: "ListPodSandboxStats: sandbox attributes and nested container attributes",
      schema: api.ListPodSandboxStatsResponseSchema,
      answer: c(api.ListPodSandboxStatsResponseSchema, {
        stats: [{ attributes: { id: "s1" }, linux: { containers: [{ attributes: { id: "c1" } }] } }],
      }),
      expect: c(api.ListPodSandboxStatsResponseSchema, {
        stats: [{ attributes: { id: "vm__s1" }, linux: { containers: [{ attributes: { id: "vm__c1" } }] } }],
      }),
    },
    {
      desc: "ListPodSandboxMetrics: sandbox and container ids, metric labels untouched",
      schema: api.ListPodSandboxMetricsResponseSchema,
      answer: c(api.ListPodSandboxMetricsResponseSchema, {
        podMetrics: [
          {
            podSandboxId: "s1",
            containerMetrics: [{ containerId: "c1", metrics: [{ name: "m", labelValues: ["c1"] }] }],
          },
        ],
      }),
      expect: c(api.ListPodSandboxMetricsResponseSchema, {
        podMetrics: [
          {
            podSandboxId: "vm__s1",
            containerMetrics: [{ containerId: "vm__c1", metrics: [{ name: "m", labelValues: ["c1"] }] }],
          },
        ],
      }),
    },
    {
      desc: "RunPodSandbox response",
      schema: api.RunPodSandboxResponseSchema,
      answer: c(api.RunPodSandboxResponseSchema, { podSandboxId: "s1" }),
      expect: c(api.RunPodSandboxResponseSchema, { podSandboxId: "vm__s1" }),
    },
    {
      desc: "CreateContainer response",
      schema: api.CreateContainerResponseSchema,
      answer: c(api.CreateContainerResponseSchema, { containerId: "c1" }),
      expect: c(api.CreateContainerResponseSchema, { containerId: "vm__c1" }),
    },
    {
      desc: "PullImage response: non-digest image id prefixed",
      schema: api.PullImageResponseSchema,
      answer: c(api.PullImageResponseSchema, { imageRef: "cirros-id" }),
      expect: c(api.PullImageResponseSchema, { imageRef: "vm/cirros-id" }),
    },
    {
      desc: "empty ids stay empty",
      schema: api.ContainerStatusResponseSchema,
      answer: c(api.ContainerStatusResponseSchema, { status: { id: "", imageRef: "" } }),
      expect: c(api.ContainerStatusResponseSchema, { status: { id: "", imageRef: "" } }),
    },
  ])("$desc", ({ schema, answer, expect: want }) => {
    expect(toKubelet(schema, answer, "vm", table)).toEqual(want);
  });

  test("the primary's answers are returned untouched, same object", () => {
    const answer = create(api.ListContainersResponseSchema, { containers: [{ id: "c1" }] });
    expect(toKubelet(api.ListContainersResponseSchema, answer, "")).toBe(answer);
    expect(answer.containers[0].id).toBe("c1");
  });
});

describe("toBackend: a backend sees its own names", () => {
  test.each<AnswerRow>([
    {
      desc: "strips its id prefix",
      schema: api.StopContainerRequestSchema,
      answer: c(api.StopContainerRequestSchema, { containerId: "vm__c1", timeout: 3n }),
      expect: c(api.StopContainerRequestSchema, { containerId: "c1", timeout: 3n }),
    },
    {
      desc: "leaves another backend's prefix alone",
      schema: api.StopContainerRequestSchema,
      answer: c(api.StopContainerRequestSchema, { containerId: "gpu.example__c1" }),
      expect: c(api.StopContainerRequestSchema, { containerId: "gpu.example__c1" }),
    },
    {
      desc: "CreateContainer: sandbox id, image, user image, target id, handler mapped",
      schema: api.CreateContainerRequestSchema,
      answer: c(api.CreateContainerRequestSchema, {
        podSandboxId: "vm__s1",
        config: {
          image: { image: "vm/cirros", userSpecifiedImage: "vm/cirros", runtimeHandler: "kata" },
          linux: { securityContext: { namespaceOptions: { targetId: "vm__c0" } } },
        },
      }),
      expect: c(api.CreateContainerRequestSchema, {
        podSandboxId: "s1",
        config: {
          image: { image: "cirros", userSpecifiedImage: "cirros", runtimeHandler: "kata-fc" },
          linux: { securityContext: { namespaceOptions: { targetId: "c0" } } },
        },
      }),
    },
    {
      desc: "ListContainers filter",
      schema: api.ListContainersRequestSchema,
      answer: c(api.ListContainersRequestSchema, { filter: { podSandboxId: "vm__s1", labelSelector: { a: "vm__x" } } }),
      expect: c(api.ListContainersRequestSchema, { filter: { podSandboxId: "s1", labelSelector: { a: "vm__x" } } }),
    },
  ])("$desc", ({ schema, answer, expect: want }) => {
    expect(toBackend(schema, answer, "vm", table)).toEqual(want);
  });
});
