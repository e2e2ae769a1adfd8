// dist/criproxy-oci.tar: a valid OCI image layout whose blobs match their digests, with the
// config kubelet and containerd need, and the same digest every time it is built.
import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { buildImage, ensureBinary, IMAGE_NAME } from "../../scripts/image.ts";
import { readTar, tarArchive, type TarEntry } from "../../scripts/oci/tar.ts";
import { parseLdd } from "../../scripts/oci/rootfs.ts";
import pkg from "../../package.json" with { type: "json" };

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const dir = mkdtempSync(join(tmpdir(), "criproxy-image-test-"));
let files: Map<string, Uint8Array>;
let digest: string;

beforeAll(async () => {
  await ensureBinary(); // reuses dist/criproxy when it is newer than the sources
  const image = buildImage(join(dir, "a.tar"));
  digest = image.manifestDigest;
  files = new Map(readTar(readFileSync(join(dir, "a.tar"))).map((e) => [e.path, e.data ?? new Uint8Array()]));
}, 120_000);

const json = (path: string) => JSON.parse(new TextDecoder().decode(files.get(path)));
const blob = (d: string) => files.get(`blobs/sha256/${d.slice(7)}`)!;

describe("OCI image layout", () => {
  test("oci-layout and index.json", () => {
    expect(json("oci-layout")).toEqual({ imageLayoutVersion: "1.0.0" });
    const index = json("index.json");
    expect(index.schemaVersion).toBe(2);
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]).toMatchObject({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest,
      annotations: { "io.containerd.image.name": IMAGE_NAME },
    });
  });

  test("every blob is named by its sha256 and sized as its descriptor says", () => {
    for (const [path, data] of files)
      if (path.startsWith("blobs/sha256/") && data.length > 0) expect(sha(data)).toBe(`sha256:${path.slice(13)}`);
    const manifest = json(`blobs/sha256/${digest.slice(7)}`);
    for (const d of [manifest.config, ...manifest.layers]) expect(blob(d.digest).length).toBe(d.size);
  });

  test("config: entrypoint, root user, labels, diff_id of the uncompressed layer", () => {
    const manifest = json(`blobs/sha256/${digest.slice(7)}`);
    const config = JSON.parse(new TextDecoder().decode(blob(manifest.config.digest)));
    expect(config.os).toBe("linux");
    expect(config.config.Entrypoint).toEqual(["/usr/local/bin/criproxy"]);
    expect(config.config.User).toBe("0:0");
    expect(config.config.Labels["org.opencontainers.image.version"]).toBe(pkg.version);
    expect(config.config.Labels["org.opencontainers.image.title"]).toBe("criproxy");
    expect(config.config.Labels["org.opencontainers.image.source"]).toBeString();
    expect(config.created).toBe(
      process.env.SOURCE_DATE_EPOCH
        ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString().replace(".000Z", "Z")
        : "1970-01-01T00:00:00Z",
    );
    const layer = gunzipSync(blob(manifest.layers[0].digest));
    expect(config.rootfs.diff_ids).toEqual([sha(layer)]);
    const paths = readTar(layer).map((e) => e.path);
    expect(paths).toContain("usr/local/bin/criproxy");
    expect(paths).toContain("usr/bin/nsenter");
    expect(paths).toContain("etc/passwd");
    expect(paths).toContain("tmp");
    expect(paths).toEqual([...paths].sort());
    // The loader the binary names (PT_INTERP) must be in the layer, or nothing starts.
    expect(paths.some((p) => /^lib(64)?\/.*ld-linux/.test(p))).toBe(true);
  });

  test("reproducible: building again gives the same manifest digest", () => {
    expect(buildImage(join(dir, "b.tar")).manifestDigest).toBe(digest);
    expect(sha(readFileSync(join(dir, "b.tar")))).toBe(sha(readFileSync(join(dir, "a.tar"))));
  }, 60_000);
});

describe("tar writer", () => {
  test("round trips and is independent of input order", () => {
    const entries: TarEntry[] = [
      { path: "b", type: "file", mode: 0o644, data: new TextEncoder().encode("bee") },
      { path: "a", type: "dir", mode: 0o755 },
      { path: `${"d/".repeat(60)}long-name`, type: "file", mode: 0o600, data: new Uint8Array(600) },
    ];
    const t = tarArchive(entries, 0);
    expect(tarArchive([...entries].reverse(), 0)).toEqual(t);
    expect(readTar(t).map((e) => [e.path, e.type, e.mode, e.data?.length])).toEqual([
      ["a", "dir", 0o755, 0],
      ["b", "file", 0o644, 3],
      [`${"d/".repeat(60)}long-name`, "file", 0o600, 600],
    ]);
  });

  test("GNU tar reads it", () => {
    const path = join(dir, "t.tar");
    require("node:fs").writeFileSync(
      path,
      tarArchive(
        [
          { path: "x/y", type: "file", mode: 0o755, data: new Uint8Array(3) },
          { path: "x", type: "dir", mode: 0o755 },
        ],
        0,
      ),
    );
    expect(Bun.spawnSync(["tar", "-tvf", path]).stdout.toString()).toContain(
      "-rwxr-xr-x root/root         3 1970-01-01 00:00 x/y",
    );
  });
});

test("parseLdd reads library and loader lines", () => {
  const out =
    "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n";
  expect(parseLdd(out)).toEqual(["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]);
});
