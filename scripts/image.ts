// `bun run image`: dist/criproxy-oci.tar, an OCI image layout with dist/criproxy at
// /usr/local/bin/criproxy on a minimal base, written by our own code (no Docker engine here).
// Reproducible: SOURCE_DATE_EPOCH (default 0) stamps every file, entries are sorted.
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { arch } from "node:process";
import { join } from "node:path";
import { build } from "./build.ts";
import { buildImageLayout, type BuiltImage } from "./oci/layout.ts";
import { rootfsEntries, withLibraries } from "./oci/rootfs.ts";
import pkg from "../package.json" with { type: "json" };

export const IMAGE_TAR = "dist/criproxy-oci.tar";
const BINARY = "dist/criproxy";
/** The name the image gets in containerd on `ctr images import`. */
export const IMAGE_NAME = `localhost/criproxy:${pkg.version}`;

/** The newest modification time (ms) of the files the binary is built from. */
function newestSource(paths: string[]): number {
  let newest = 0;
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) newest = Math.max(newest, newestSource(readdirSync(p).map((n) => join(p, n))));
    else newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

/** Builds dist/criproxy unless it is newer than every source file. */
export async function ensureBinary(): Promise<void> {
  let built = 0;
  try {
    built = statSync(BINARY).mtimeMs;
  } catch {
    // Not built yet.
  }
  if (built > newestSource(["src", "package.json", "bun.lock"])) return;
  await build({ allTargets: false });
}

/** Where the image says its source lives: CRIPROXY_IMAGE_SOURCE, package.json, or git's origin. */
function sourceUrl(): string {
  if (process.env.CRIPROXY_IMAGE_SOURCE) return process.env.CRIPROXY_IMAGE_SOURCE;
  const repo = (pkg as { repository?: string | { url?: string } }).repository;
  const fromPkg = typeof repo === "string" ? repo : repo?.url;
  if (fromPkg) return fromPkg;
  const git = Bun.spawnSync(["git", "remote", "get-url", "origin"], { stdout: "pipe", stderr: "pipe" });
  return git.exitCode === 0 ? git.stdout.toString().trim() : "unknown";
}

/** Builds the image from dist/criproxy into `out`. */
export function buildImage(out = IMAGE_TAR, binary = BINARY): BuiltImage {
  const nsenter = Bun.which("nsenter");
  if (!nsenter)
    throw new Error("nsenter (util-linux) is needed in the image for `install --restart`; install util-linux");
  const files = withLibraries([
    { src: binary, dest: "/usr/local/bin/criproxy" },
    { src: nsenter, dest: "/usr/bin/nsenter" },
  ]);
  const image = buildImageLayout({
    layer: rootfsEntries(files),
    epoch: Number(process.env.SOURCE_DATE_EPOCH ?? 0),
    architecture: arch === "x64" ? "amd64" : arch,
    entrypoint: ["/usr/local/bin/criproxy"],
    env: ["PATH=/usr/local/bin:/usr/bin:/bin"],
    // root: criproxy creates its socket in a host directory, and install edits host files.
    user: "0:0",
    labels: {
      "org.opencontainers.image.title": "criproxy",
      "org.opencontainers.image.description": pkg.description,
      "org.opencontainers.image.version": pkg.version,
      "org.opencontainers.image.source": sourceUrl(),
      "org.opencontainers.image.licenses": pkg.license,
    },
    name: IMAGE_NAME,
    tag: pkg.version,
  });
  writeFileSync(out, image.tar);
  return image;
}

if (import.meta.main) {
  const t0 = performance.now();
  await ensureBinary();
  const image = buildImage();
  console.log(
    `${IMAGE_TAR}  ${(image.tar.length / 1e6).toFixed(1)} MB  ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(`manifest ${image.manifestDigest}  (import: ctr -n k8s.io images import ${IMAGE_TAR} -> ${IMAGE_NAME})`);
}
