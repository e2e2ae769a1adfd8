// An OCI image layout (oci-layout, index.json, blobs/sha256/...) of a one-layer image, as one
// tar, built in memory. Every byte is a function of the inputs: no clock, no host metadata.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { tarArchive, type TarEntry } from "./tar.ts";

export interface ImageSpec {
  layer: TarEntry[];
  /** Seconds since the epoch for every timestamp (SOURCE_DATE_EPOCH, or 0). */
  epoch: number;
  architecture: string;
  entrypoint: string[];
  env: string[];
  user: string;
  labels: Record<string, string>;
  /** The name containerd gives the image on `ctr images import` (io.containerd.image.name). */
  name: string;
  /** The tag, as org.opencontainers.image.ref.name. */
  tag: string;
}

export interface BuiltImage {
  tar: Uint8Array;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  diffId: string;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

const enc = new TextEncoder();
const digest = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** The JSON bytes of an object (no extra whitespace, key order as written). */
const json = (o: unknown) => enc.encode(JSON.stringify(o));

/** Builds the image: layer tar.gz, config, manifest, index, all inside one layout tar. */
export function buildImageLayout(spec: ImageSpec): BuiltImage {
  const created = new Date(spec.epoch * 1000).toISOString().replace(/\.000Z$/, "Z");
  const layerTar = tarArchive(spec.layer, spec.epoch);
  // node's gzip writes mtime 0 and a fixed OS byte in the header: same input, same bytes.
  const layer = gzipSync(layerTar, { level: 9 });
  const diffId = digest(layerTar);
  const config = json({
    created,
    architecture: spec.architecture,
    os: "linux",
    config: { User: spec.user, Env: spec.env, Entrypoint: spec.entrypoint, WorkingDir: "/", Labels: spec.labels },
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created, created_by: "bun scripts/image.ts" }],
  });
  const blobs: Uint8Array[] = [layer, config];
  const configDesc: Descriptor = {
    mediaType: "application/vnd.oci.image.config.v1+json",
    digest: digest(config),
    size: config.length,
  };
  const layerDesc: Descriptor = {
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
    digest: digest(layer),
    size: layer.length,
  };
  const manifest = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: configDesc,
    layers: [layerDesc],
    annotations: { ...spec.labels, "org.opencontainers.image.created": created },
  });
  blobs.push(manifest);
  const manifestDesc: Descriptor = {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: digest(manifest),
    size: manifest.length,
    annotations: { "io.containerd.image.name": spec.name, "org.opencontainers.image.ref.name": spec.tag },
    platform: { architecture: spec.architecture, os: "linux" },
  };
  const index = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [manifestDesc],
  });
  const entries: TarEntry[] = [
    { path: "oci-layout", type: "file", mode: 0o644, data: json({ imageLayoutVersion: "1.0.0" }) },
    { path: "index.json", type: "file", mode: 0o644, data: index },
    { path: "blobs", type: "dir", mode: 0o755 },
    { path: "blobs/sha256", type: "dir", mode: 0o755 },
    ...blobs.map((b): TarEntry => ({ path: `blobs/sha256/${digest(b).slice(7)}`, type: "file", mode: 0o644, data: b })),
  ];
  return {
    tar: tarArchive(entries, spec.epoch),
    manifestDigest: manifestDesc.digest,
    configDigest: configDesc.digest,
    layerDigest: layerDesc.digest,
    diffId,
  };
}
