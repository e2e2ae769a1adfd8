// A read-only OCI registry on 127.0.0.1 serving one image from an OCI layout tar: just enough
// of the distribution API (manifests and blobs, GET and HEAD) for containerd to pull it. This
// machine reaches no registry; containerd's CRI speaks plain HTTP to a localhost registry.
import { readTar } from "../../scripts/oci/tar.ts";

export interface TinyRegistry {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** The image's reference, `127.0.0.1:PORT/REPO:TAG`. */
  readonly ref: string;
  /** The manifest's digest (containerd's image id is the config's; the repo digest is this). */
  readonly manifestDigest: string;
  /** Requests served, as `METHOD /path`. */
  readonly requests: string[];
  stop(): void;
}

/** Serves the single image of `layoutTar` as `REPO:TAG`. */
export function serveImage(layoutTar: Uint8Array, repo: string, tag: string): TinyRegistry {
  const files = new Map(
    readTar(layoutTar).flatMap((e) => (e.type === "file" && e.data ? [[e.path, e.data] as const] : [])),
  );
  const index = JSON.parse(new TextDecoder().decode(files.get("index.json")!)) as {
    manifests: { digest: string; mediaType: string }[];
  };
  const { digest: manifestDigest, mediaType } = index.manifests[0]!;
  const blob = (digest: string) => files.get(`blobs/sha256/${digest.replace(/^sha256:/, "")}`);
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(`${req.method} ${path}`);
      if (path === "/v2/" || path === "/v2") return Response.json({});
      const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
      if (!m || m[1] !== repo) return new Response("not found", { status: 404 });
      const [, , kind, ref] = m;
      const digest = kind === "manifests" && ref === tag ? manifestDigest : ref!;
      const body = blob(digest);
      if (!body || (kind === "manifests" && digest !== manifestDigest))
        return new Response("not found", { status: 404 });
      const headers = {
        "content-type": kind === "manifests" ? mediaType : "application/octet-stream",
        "docker-content-digest": digest,
        "content-length": String(body.length),
      };
      return new Response(req.method === "HEAD" ? null : body, { headers });
    },
  });
  const host = `127.0.0.1:${server.port}`;
  return { host, ref: `${host}/${repo}:${tag}`, manifestDigest, requests, stop: () => server.stop(true) };
}
