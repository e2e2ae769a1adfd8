// `--connect PRIMARY,NAME:ENDPOINT,...`: the backends, parsed and checked (pure). An endpoint
// may end in `?api=v1` or `?api=v1alpha2`: that runtime is spoken to in that CRI API, unprobed.
import { CRI_APIS, isCriApi, type CriApi } from "../core/cri-apis.ts";
import { isBackendName } from "../core/names.ts";

export interface BackendSpec {
  /** "" for the primary (the first entry), else the routing name. */
  readonly name: string;
  /** The Unix socket path. */
  readonly socket: string;
  /** The CRI API forced by `?api=`; undefined: probed (v1, then v1alpha2). */
  readonly api?: CriApi;
}

/** Splits `ENDPOINT?api=API` into the endpoint and the API; throws on an API that is not one. */
export function endpointApi(endpoint: string): { endpoint: string; api?: CriApi } {
  const m = /^(.*)\?api=([^?]*)$/.exec(endpoint);
  if (!m) return { endpoint };
  if (!isCriApi(m[2]))
    throw new Error(
      `endpoint ${JSON.stringify(endpoint)}: api ${JSON.stringify(m[2])} is not one of ${CRI_APIS.join(", ")}`,
    );
  return { endpoint: m[1], api: m[2] };
}

const spec = (name: string, endpoint: string): BackendSpec => {
  const { endpoint: bare, api } = endpointApi(endpoint);
  return api === undefined ? { name, socket: socketPath(bare) } : { name, socket: socketPath(bare), api };
};

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
      specs.push(spec("", entry));
      return;
    }
    if (!isNamed)
      throw new Error(
        `entry ${JSON.stringify(entry)} needs a name: NAME:ENDPOINT (only the first entry, the primary, has none)`,
      );
    const [, name, endpoint] = named;
    if (!isBackendName(name))
      throw new Error(
        `entry ${JSON.stringify(entry)}: ${JSON.stringify(name)} is not a lowercase DNS-style name without "__"`,
      );
    if (names.has(name))
      throw new Error(`entry ${JSON.stringify(entry)}: runtime name ${JSON.stringify(name)} is used twice`);
    names.add(name);
    specs.push(spec(name, endpoint));
  });
  return specs;
}
