// Docker-style image reference normalization, enough to resolve what kubelet and crictl send.

/** `nginx` -> `docker.io/library/nginx:latest`; digests and ids pass through unchanged. */
export function normalizeImageRef(ref: string): string {
  if (ref.startsWith("sha256:")) return ref;
  const slash = ref.indexOf("/");
  const first = slash < 0 ? "" : ref.slice(0, slash);
  // Same rule as distribution/reference: the first segment is a registry when it looks like a host.
  const hasDomain = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost");
  let name = hasDomain ? ref : slash < 0 ? `docker.io/library/${ref}` : `docker.io/${ref}`;
  if (name.includes("@")) return name;
  const lastSegment = name.slice(name.lastIndexOf("/") + 1);
  if (!lastSegment.includes(":")) name += ":latest";
  return name;
}

/** The repository part of a normalized reference: `docker.io/library/nginx:1.25` -> `docker.io/library/nginx`. */
export function repositoryOf(normalized: string): string {
  const at = normalized.indexOf("@");
  if (at >= 0) return normalized.slice(0, at);
  const colon = normalized.lastIndexOf(":");
  return colon > normalized.lastIndexOf("/") ? normalized.slice(0, colon) : normalized;
}
