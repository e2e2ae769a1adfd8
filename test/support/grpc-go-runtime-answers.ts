// The answers the grpc-go runtime serves, encoded once with protobuf-es from the fake's
// fixtures (src/fake/fixtures.ts): 64-hex ids, kubelet's labels and annotations.
import { create, toBinary } from "@bufbuild/protobuf";
import { containerFixture, IMAGE_CATALOG, imageFor, sandboxFixture } from "../../src/fake/fixtures.ts";
import { nowNanos } from "../../src/fake/ids.ts";
import {
  ContainerSchema,
  ListContainersResponseSchema,
  ImageStatusResponseSchema,
  ListImagesResponseSchema,
  ListPodSandboxResponseSchema,
  StatusResponseSchema,
  VersionResponseSchema,
  type Container,
} from "../../src/gen/runtime/v1/api_pb.ts";

export interface RuntimeAnswersOptions {
  /** Runtime name in `Version` (default `grpc-go`). */
  readonly name?: string;
  /** Containers listed by ListContainers (default 1000). */
  readonly containers?: number;
  /** Containers per pod: ListPodSandbox lists ceil(containers / this) pods (default 4). */
  readonly containersPerPod?: number;
  /** Pad the ListContainers answer to exactly this many bytes (an annotation on the last container). */
  readonly listContainersBytes?: number;
}

const RUNTIME = "/runtime.v1.RuntimeService/";
const IMAGE = "/runtime.v1.ImageService/";
const PAD_KEY = "criproxy.test/padding";

/** Answer bytes by gRPC path: Version, Status, ListPodSandbox, ListContainers, ListImages, ImageStatus (busybox, whatever is asked). */
export function runtimeAnswers(opts: RuntimeAnswersOptions = {}): Map<string, Uint8Array> {
  const name = opts.name ?? "grpc-go";
  const count = opts.containers ?? 1000;
  const perPod = Math.max(1, opts.containersPerPod ?? 4);
  const now = nowNanos() - 3_600_000_000_000n;
  const pods = Array.from({ length: Math.ceil(count / perPod) }, (_, n) =>
    sandboxFixture(n, "", now + BigInt(n) * 1_000_000_000n),
  );
  const containers = Array.from(
    { length: count },
    (_, i) => containerFixture(pods[Math.floor(i / perPod)], i % perPod, now + BigInt(i) * 1_000_000n + 1n).container,
  );
  const list =
    opts.listContainersBytes === undefined
      ? toBinary(ListContainersResponseSchema, create(ListContainersResponseSchema, { containers }))
      : paddedList(containers, opts.listContainersBytes);
  return new Map<string, Uint8Array>([
    [
      `${RUNTIME}Version`,
      toBinary(
        VersionResponseSchema,
        create(VersionResponseSchema, {
          version: "0.1.0",
          runtimeName: name,
          runtimeVersion: "1.6.20",
          runtimeApiVersion: "v1",
        }),
      ),
    ],
    [
      `${RUNTIME}Status`,
      toBinary(
        StatusResponseSchema,
        create(StatusResponseSchema, {
          status: {
            conditions: [
              { type: "RuntimeReady", status: true },
              { type: "NetworkReady", status: true },
            ],
          },
        }),
      ),
    ],
    [
      `${RUNTIME}ListPodSandbox`,
      toBinary(
        ListPodSandboxResponseSchema,
        create(ListPodSandboxResponseSchema, { items: pods.map((p) => p.sandbox) }),
      ),
    ],
    [`${RUNTIME}ListContainers`, list],
    [
      `${IMAGE}ListImages`,
      toBinary(
        ListImagesResponseSchema,
        create(ListImagesResponseSchema, { images: IMAGE_CATALOG.map((ref, k) => imageFor(ref, k)) }),
      ),
    ],
    [
      `${IMAGE}ImageStatus`,
      toBinary(
        ImageStatusResponseSchema,
        create(ImageStatusResponseSchema, { image: imageFor("docker.io/library/busybox:1.36") }),
      ),
    ],
  ]);
}

/**
 * A ListContainersResponse of `containers` encoded to exactly `bytes`: the list without the last
 * container, then the last one with a padding annotation, as one more encoded message (protobuf
 * merges concatenated messages, so this is the same answer as encoding all at once).
 */
export function paddedList(containers: readonly Container[], bytes: number): Uint8Array {
  if (containers.length === 0)
    throw new Error(`a ListContainers answer of ${bytes} bytes needs at least one container`);
  const head = toBinary(
    ListContainersResponseSchema,
    create(ListContainersResponseSchema, { containers: containers.slice(0, -1) }),
  );
  const last = containers[containers.length - 1];
  const tail = (extra: Record<string, string>, pad: number) =>
    toBinary(
      ListContainersResponseSchema,
      create(ListContainersResponseSchema, {
        containers: [{ ...last, annotations: { ...last.annotations, ...extra, [PAD_KEY]: "x".repeat(pad) } }],
      }),
    );
  const need = bytes - head.length;
  const bare = toBinary(
    ListContainersResponseSchema,
    create(ListContainersResponseSchema, { containers: [create(ContainerSchema, last)] }),
  ).length;
  if (need < bare + PAD_KEY.length + 4)
    throw new Error(
      `${containers.length} containers do not fit in ${bytes} bytes (they need ${head.length + bare + PAD_KEY.length + 4})`,
    );
  // A length varint that grows (at 128, 16 Ki, 2 Mi) skips a size: one more small entry reaches it.
  for (const extra of [{} as Record<string, string>, { [`${PAD_KEY}-2`]: "" }, { [`${PAD_KEY}-2`]: "xxxxxxxx" }]) {
    let pad = Math.max(0, need - bare - PAD_KEY.length - 48);
    for (let tries = 0; tries < 6 && pad >= 0; tries++) {
      const last = tail(extra, pad);
      if (last.length === need) return Buffer.concat([head, last]);
      pad += need - last.length;
    }
  }
  throw new Error(`no padding makes a ListContainers answer of exactly ${bytes} bytes`);
}
