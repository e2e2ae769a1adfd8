// Kubelet's v1 requests as a v1alpha2 runtime gets them: v1-only fields dropped, or the request
// refused where dropping would silently weaken the container, or a value would be misread.
import { describe, expect, test } from "bun:test";
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { v1alpha2Methods } from "../../src/core/api-version.ts";
import { needsTranslation, toV1alpha2Request } from "../../src/core/v1alpha2-request.ts";
import * as v1 from "../../src/gen/runtime/v1/api_pb.ts";
import * as alpha from "../../src/gen/runtime/v1alpha2/api_pb.ts";
import { arbitraryMessage } from "./arbitrary-message.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const createRequest = (config: MessageInitShape<typeof v1.ContainerConfigSchema>) =>
  toBinary(v1.CreateContainerRequestSchema, create(v1.CreateContainerRequestSchema, { podSandboxId: "p1", config }));

/** The translated request as the v1alpha2 runtime decodes it, with what it would not know. */
function asAlpha(bytes: Uint8Array) {
  const msg = fromBinary(
    alpha.CreateContainerRequestSchema,
    toV1alpha2Request(v1.CreateContainerRequestSchema, bytes, "vm"),
  );
  return msg;
}

describe("dropped: fields v1alpha2 does not know, where their loss changes nothing the pod relies on", () => {
  test("ImageSpec's v1-only names and the stop signal are dropped; everything else arrives", () => {
    const bytes = createRequest({
      metadata: { name: "c", attempt: 2 },
      image: {
        image: "docker.io/x:1",
        userSpecifiedImage: "x",
        runtimeHandler: "kata",
        imageRef: "sha256:ab",
        annotations: { a: "b" },
      },
      envs: [{ key: "K", value: enc("v ü") }],
      mounts: [{ containerPath: "/data", hostPath: "/srv", readonly: true }],
      stopSignal: v1.Signal.SIGKILL,
      labels: { app: "web" },
    });
    const got = asAlpha(bytes);
    expect(got.podSandboxId).toBe("p1");
    expect(got.config?.metadata).toMatchObject({ name: "c", attempt: 2 });
    expect(got.config?.image).toMatchObject({ image: "docker.io/x:1", annotations: { a: "b" } });
    expect(got.config?.envs[0]).toMatchObject({ key: "K", value: "v ü" });
    expect(got.config?.mounts[0]).toMatchObject({ containerPath: "/data", hostPath: "/srv", readonly: true });
    expect(got.config?.labels).toEqual({ app: "web" });
    // Nothing reached the runtime that it would have to skip as unknown.
    const unknown = fromBinary(
      alpha.CreateContainerRequestSchema,
      toV1alpha2Request(v1.CreateContainerRequestSchema, bytes, "vm"),
      { readUnknownFields: true },
    );
    expect(unknown.config?.$unknown ?? []).toEqual([]);
    expect(unknown.config?.image?.$unknown ?? []).toEqual([]);
    // The v1 view of what was sent: the dropped fields are gone.
    const sent = fromBinary(
      v1.CreateContainerRequestSchema,
      toV1alpha2Request(v1.CreateContainerRequestSchema, bytes, "vm"),
    );
    expect(sent.config?.image?.userSpecifiedImage).toBe("");
    expect(sent.config?.image?.runtimeHandler).toBe("");
    expect(sent.config?.stopSignal).toBe(v1.Signal.RUNTIME_DEFAULT);
  });

  test("a request type with no v1-only field passes as kubelet's own bytes", () => {
    const bytes = toBinary(
      v1.StartContainerRequestSchema,
      create(v1.StartContainerRequestSchema, { containerId: "c1" }),
    );
    expect(needsTranslation(v1.StartContainerRequestSchema)).toBe(false);
    expect(toV1alpha2Request(v1.StartContainerRequestSchema, bytes, "vm")).toBe(bytes);
  });

  test("fields a newer kubelet sends that this build does not know are dropped as well", () => {
    const known = toBinary(v1.PullImageRequestSchema, create(v1.PullImageRequestSchema, { image: { image: "x" } }));
    const extra = new Uint8Array([...known, 0xa2, 0x06, 0x01, 0x41]); // field 100, length 1, "A"
    const out = fromBinary(alpha.PullImageRequestSchema, toV1alpha2Request(v1.PullImageRequestSchema, extra, "vm"));
    expect(out.image?.image).toBe("x");
    expect(out.$unknown ?? []).toEqual([]);
  });

  test("any v1 request decodes as v1alpha2 with nothing unknown, or is refused (property)", () => {
    const translated = [...v1alpha2Methods.values()].filter((p) => needsTranslation(p.v1.input));
    expect([...new Set(translated.map((p) => p.v1.name))].sort()).toEqual([
      "CreateContainer",
      "ImageStatus",
      "ListImages",
      "PullImage",
      "RemoveImage",
      "RunPodSandbox",
      "UpdateContainerResources",
    ]);
    for (const p of translated) {
      fc.assert(
        fc.property(arbitraryMessage(p.v1.input), (msg) => {
          const bytes = toBinary(p.v1.input, msg);
          let out: Uint8Array;
          try {
            out = toV1alpha2Request(p.v1.input, bytes, "vm");
          } catch (e) {
            expect((e as ConnectError).code).toBe(3); // a refusal, never anything else
            return;
          }
          const back = fromBinary(p.alpha.input, out, { readUnknownFields: true });
          expect(
            JSON.stringify(back, (k, v) => (k === "$unknown" && v?.length ? v : k === "$unknown" ? undefined : v)),
          ).not.toContain("$unknown");
        }),
        { numRuns: 50 },
      );
    }
  });
});

describe("refused: v1-only fields whose silent loss would weaken the container or lose a device", () => {
  const refusals: { desc: string; config: MessageInitShape<typeof v1.ContainerConfigSchema>; says: string }[] = [
    {
      desc: "a recursively read-only mount",
      config: { mounts: [{ containerPath: "/d", hostPath: "/s", readonly: true, recursiveReadOnly: true }] },
      says: "recursively read-only mounts (Mount.recursive_read_only is set)",
    },
    {
      desc: "an image volume",
      config: { mounts: [{ containerPath: "/d", image: { image: "x" } }] },
      says: "image volumes",
    },
    {
      desc: "an id-mapped mount",
      config: {
        mounts: [{ containerPath: "/d", hostPath: "/s", uidMappings: [{ hostId: 1000, containerId: 0, length: 1 }] }],
      },
      says: "id-mapped mounts",
    },
    {
      desc: "supplementalGroupsPolicy Strict",
      config: { linux: { securityContext: { supplementalGroupsPolicy: v1.SupplementalGroupsPolicy.Strict } } },
      says: "supplementalGroupsPolicy Strict",
    },
    { desc: "CDI devices", config: { CDIDevices: [{ name: "nvidia.com/gpu=0" }] }, says: "CDI devices" },
    {
      desc: "an env value that is not UTF-8",
      config: { envs: [{ key: "BIN", value: new Uint8Array([0xff, 0xfe]) }] },
      says: 'the value of "BIN" is not valid UTF-8',
    },
  ];
  test.each(refusals)("$desc: InvalidArgument naming the runtime and what it lacks", ({ config, says }) => {
    let err: unknown;
    try {
      toV1alpha2Request(v1.CreateContainerRequestSchema, createRequest(config), "vm");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(3);
    expect((err as ConnectError).rawMessage).toStartWith("runtime vm speaks CRI v1alpha2, ");
    expect((err as ConnectError).rawMessage).toContain(says);
  });

  test("the same fields at their defaults pass (Merge policy, no mapping, read-only but not recursive)", () => {
    const bytes = createRequest({
      mounts: [{ containerPath: "/d", hostPath: "/s", readonly: true, recursiveReadOnly: false }],
      linux: {
        securityContext: { supplementalGroupsPolicy: v1.SupplementalGroupsPolicy.Merge, runAsUser: { value: 1000n } },
      },
    });
    const got = asAlpha(bytes);
    expect(got.config?.mounts[0]?.readonly).toBe(true);
    expect(got.config?.linux?.securityContext?.runAsUser?.value).toBe(1000n);
  });

  test("the sandbox's supplementalGroupsPolicy Strict is refused too", () => {
    const schema: DescMessage = v1.RunPodSandboxRequestSchema;
    const bytes = toBinary(
      v1.RunPodSandboxRequestSchema,
      create(v1.RunPodSandboxRequestSchema, {
        config: { linux: { securityContext: { supplementalGroupsPolicy: v1.SupplementalGroupsPolicy.Strict } } },
      }),
    );
    expect(() => toV1alpha2Request(schema, bytes, "vm")).toThrow("supplementalGroupsPolicy Strict");
  });
});
