// Names as kubelet sees them: `NAME__ID` for ids, `NAME/REF` for images of named runtimes.
// The primary runtime has the name "" and its ids and images pass through unchanged.

/** Separates a backend name from an id of that backend: `vm__4f1c`. */
export const ID_SEPARATOR = "__";

/** Separates a backend name from an image reference of that backend: `vm/docker.io/x:1`. */
export const IMAGE_SEPARATOR = "/";

// RFC 1123 label: lowercase alphanumerics and '-', not at either end, at most 63 chars.
const LABEL = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";
const SUBDOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const HANDLER = new RegExp(`^${LABEL}$`);

// An image id or digest: `algorithm:hex` (OCI digest grammar, hex-encoded). Requiring at
// least 32 hex digits keeps `name:tag` references such as `nginx:latest` out of it.
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

/** Whether name is usable as a backend name: a lowercase RFC 1123 DNS subdomain (so never "/" or "__"). */
export function isBackendName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && SUBDOMAIN.test(name);
}

/** Whether name can be a RuntimeClass handler (a lowercase RFC 1123 label, as Kubernetes validates it); "" is the default handler. */
export function isHandlerName(name: string): boolean {
  return HANDLER.test(name);
}

/** Whether ref is an image digest or content-addressed image id (`sha256:...`): never prefixed or split. */
export function isDigest(ref: string): boolean {
  return DIGEST.test(ref);
}

/** The id as kubelet sees it: `backend__id`; the primary's ids and "" stay unchanged. */
export function prefixId(backend: string, id: string): string {
  return backend === "" || id === "" ? id : backend + ID_SEPARATOR + id;
}

/** Which backend an id belongs to, and the id that backend knows; unknown prefixes belong to the primary. */
export function splitId(id: string, names: ReadonlySet<string>): { backend: string; id: string } {
  // A runtime's own ids may contain "__": only a configured name before the first one counts.
  const at = id.indexOf(ID_SEPARATOR);
  if (at > 0) {
    const backend = id.slice(0, at);
    if (names.has(backend)) return { backend, id: id.slice(at + ID_SEPARATOR.length) };
  }
  return { backend: "", id };
}

/** The image reference as kubelet sees it: `backend/ref`; digests, "" and the primary's refs stay unchanged. */
export function prefixImage(backend: string, ref: string): string {
  return backend === "" || ref === "" || isDigest(ref) ? ref : backend + IMAGE_SEPARATOR + ref;
}

/** Which backend an image reference belongs to, and the ref that backend knows; digests and unknown first segments belong to the primary. */
export function splitImage(ref: string, names: ReadonlySet<string>): { backend: string; ref: string } {
  if (isDigest(ref)) return { backend: "", ref };
  // Backend names are DNS subdomains like registry hosts (`virtlet.cloud/img`): a configured name wins.
  const at = ref.indexOf(IMAGE_SEPARATOR);
  if (at > 0) {
    const backend = ref.slice(0, at);
    if (names.has(backend)) return { backend, ref: ref.slice(at + 1) };
  }
  return { backend: "", ref };
}

/** How an error message names a runtime: `runtime "vm"` or `the primary runtime`. */
export function runtimeLabel(backend: string): string {
  return backend === "" ? "the primary runtime" : `runtime "${backend}"`;
}
