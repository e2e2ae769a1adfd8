// Routing rows for containers and images: CreateContainer follows its sandbox (the image must be
// of the same runtime), and image calls route by NAME/REF, a claimed handler or a digest.
import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { route } from "../../src/core/route.ts";
import * as api from "../../src/gen/runtime/v1/api_pb.ts";
import { runRow, type Row } from "./plan-expect.ts";
import { DIGEST, row, table } from "./rows.ts";

const run = runRow;
const c = create;

describe("CreateContainer: by sandbox; the image must be of the same runtime", () => {
  const create1 = (podSandboxId: string, image: string, runtimeHandler = "", targetId = "") =>
    c(api.CreateContainerRequestSchema, {
      podSandboxId,
      config: { image: { image, runtimeHandler }, linux: { securityContext: { namespaceOptions: { targetId } } } },
    });
  test.each<Row>([
    {
      desc: "named sandbox, its image: both unprefixed",
      method: "CreateContainer",
      request: create1("vm__s1", "vm/cirros"),
      expect: { kind: "one", backend: "vm", request: create1("s1", "cirros") },
    },
    {
      desc: "primary sandbox, primary image: original bytes",
      method: "CreateContainer",
      request: create1("s1", "nginx"),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "digest belongs to the sandbox's runtime",
      method: "CreateContainer",
      request: create1("vm__s1", DIGEST),
      expect: { kind: "one", backend: "vm", request: create1("s1", DIGEST) },
    },
    {
      desc: "claimed image handler counts as the backend's image",
      method: "CreateContainer",
      request: create1("vm__s1", "nginx", "kata"),
      expect: { kind: "one", backend: "vm", request: create1("s1", "nginx", "kata-fc") },
    },
    {
      desc: "named image, primary sandbox",
      method: "CreateContainer",
      request: create1("s1", "vm/cirros"),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ['image "vm/cirros"', 'runtime "vm"', '"s1"', "primary runtime"],
      },
    },
    {
      desc: "unprefixed image, named sandbox: follows the sandbox",
      method: "CreateContainer",
      request: create1("vm__s1", "nginx"),
      expect: { kind: "one", backend: "vm", request: create1("s1", "nginx") },
    },
    {
      desc: "image of another named runtime",
      method: "CreateContainer",
      request: create1("vm__s1", "gpu.example/cuda"),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ['"gpu.example/cuda"', 'runtime "gpu.example"', 'runtime "vm"'],
      },
    },
    {
      desc: "target container of another runtime",
      method: "CreateContainer",
      request: create1("vm__s1", "vm/cirros", "", "c0"),
      expect: { kind: "error", code: Code.InvalidArgument, says: ['container "c0"', "primary runtime"] },
    },
    {
      desc: "empty sandbox id",
      method: "CreateContainer",
      request: create1("", "nginx"),
      expect: { kind: "error", code: Code.InvalidArgument, says: ["pod_sandbox_id is empty"] },
    },
  ])("$desc", run);

  test("the caller's request is never mutated", () => {
    const request = create1("vm__s1", "vm/cirros");
    route(row("CreateContainer"), request, table);
    expect(request).toEqual(create1("vm__s1", "vm/cirros"));
  });
});

describe("image calls: NAME/REF, claimed handler, a digest everywhere, else primary", () => {
  const status = (image: string, runtimeHandler = "") =>
    c(api.ImageStatusRequestSchema, { image: { image, runtimeHandler } });
  const pull = (image: string, runtimeHandler = "") =>
    c(api.PullImageRequestSchema, {
      image: { image, userSpecifiedImage: image, runtimeHandler },
      auth: { username: "u" },
    });
  test.each<Row>([
    {
      desc: "PullImage NAME/REF",
      method: "PullImage",
      request: pull("vm/docker.io/x:1"),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.PullImageRequestSchema, {
          image: { image: "docker.io/x:1", userSpecifiedImage: "docker.io/x:1" },
          auth: { username: "u" },
        }),
      },
    },
    {
      desc: "ImageStatus unprefixed: primary",
      method: "ImageStatus",
      request: status("docker.io/x:1"),
      expect: { kind: "one", backend: "" },
    },
    {
      desc: "RemoveImage digest (kubelet's image GC): every runtime",
      method: "RemoveImage",
      request: c(api.RemoveImageRequestSchema, { image: { image: DIGEST } }),
      expect: { kind: "fan-out" },
    },
    {
      desc: "ImageStatus digest: every runtime",
      method: "ImageStatus",
      request: status(DIGEST),
      expect: { kind: "fan-out" },
    },
    {
      desc: "claimed handler of the same name: that backend, original bytes",
      method: "ImageStatus",
      request: status("nginx", "nvidia"),
      expect: { kind: "one", backend: "gpu.example" },
    },
    {
      desc: "claimed handler renamed",
      method: "PullImage",
      request: pull("nginx", "kata"),
      expect: { kind: "one", backend: "vm", request: pull("nginx", "kata-fc") },
    },
    {
      desc: "digest with claimed handler",
      method: "RemoveImage",
      request: c(api.RemoveImageRequestSchema, { image: { image: DIGEST, runtimeHandler: "kata" } }),
      expect: {
        kind: "one",
        backend: "vm",
        request: c(api.RemoveImageRequestSchema, { image: { image: DIGEST, runtimeHandler: "kata-fc" } }),
      },
    },
    {
      desc: "unclaimed handler: by the name",
      method: "ImageStatus",
      request: status("vm/x", "runc"),
      expect: { kind: "one", backend: "vm", request: status("x", "runc") },
    },
    {
      desc: "name and handler of different runtimes",
      method: "PullImage",
      request: pull("vm/x", "nvidia"),
      expect: {
        kind: "error",
        code: Code.InvalidArgument,
        says: ['image "vm/x"', 'runtime "vm"', '"nvidia"', 'runtime "gpu.example"'],
      },
    },
  ])("$desc", run);
});
