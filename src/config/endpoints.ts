// `--connect PRIMARY,NAME:ENDPOINT,...`: the backends, parsed and checked (pure).
import { isBackendName } from "../core/names.ts";

export interface BackendSpec {
  /** "" for the primary (the first entry), else the routing name. */
  readonly name: string;
  /** The Unix socket path. */
  readonly socket: string;
}

/** A socket path from `/path` or `unix:///path`; throws on anything else. */
export function socketPath(endpoint: string): string {
  const path = endpoint.startsWith("unix://") ? endpoint.slice("unix://".length) : endpoint;
  if (!path.startsWith("/")) {
    throw new Error(`endpoint ${JSON.stringify(endpoint)} is not a socket path or unix:// URL with an absolute path`);
  }
  return path;
}

/** Parses `--connect`; errors name the entry that is wrong. */
export function parseConnect(value: string): BackendSpec[] {
  const entries = value.split(",").map((e) => e.trim());
  if (entries.length === 0 || entries[0] === "") throw new Error("needs at least the primary runtime's socket");
  const specs: BackendSpec[] = [];
  const names = new Set<string>();
  entries.forEach((entry, i) => {
    if (entry === "") throw new Error(`entry ${i + 1} is empty`);
    const named = /^([^/:]+):(.+)$/.exec(entry);
    // "unix:///x" is an endpoint, not a backend named "unix".
    const isNamed = named !== null && !entry.startsWith("unix://");
    if (i === 0) {
      if (isNamed) throw new Error(`the first entry ${JSON.stringify(entry)} is the primary and takes no name`);
      specs.push({ name: "", socket: socketPath(entry) });
      return;
    }
    if (!isNamed) throw new Error(`entry ${JSON.stringify(entry)} needs a name: NAME:ENDPOINT (only the first entry, the primary, has none)`);
    const [, name, endpoint] = named;
    if (!isBackendName(name)) throw new Error(`entry ${JSON.stringify(entry)}: ${JSON.stringify(name)} is not a lowercase DNS-style name without "__"`);
    if (names.has(name)) throw new Error(`entry ${JSON.stringify(entry)}: runtime name ${JSON.stringify(name)} is used twice`);
    names.add(name);
    specs.push({ name, socket: socketPath(endpoint) });
  });
  return specs;
}
