// Streaming URLs (Exec, Attach, PortForward) as kubelet must see them: absolute.

// Wildcard listen addresses a runtime may report; kubelet must be given a host it can dial.
const WILDCARD_HOSTS = new Set(["", "[::]", "0.0.0.0"]);
const ABSOLUTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

/** Completes a path-only (`/cri/exec/x`) or scheme-less (`//[::]:10010/x`) URL from base; absolute URLs stay unchanged. */
export function absoluteStreamUrl(url: string, base: string): string {
  if (url === "" || ABSOLUTE.test(url)) return url;
  let resolved: URL;
  try {
    resolved = new URL(url, base);
  } catch {
    return url; // A base that does not parse is a config error reported elsewhere; keep the answer.
  }
  // `//[::]:10010/...` keeps its port but takes base's host: the wildcard is not dialable.
  if (url.startsWith("//") && WILDCARD_HOSTS.has(resolved.hostname)) resolved.hostname = new URL(base).hostname;
  return resolved.href;
}
