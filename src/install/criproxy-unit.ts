// The systemd unit that runs criproxy on the node, and the named runtimes it connects to.
import { unitMemory } from "./unit-memory.ts";
import { unitSandbox } from "./unit-sandbox.ts";
import { checkEndpointValue } from "./unit-value.ts";

/** A named runtime given to `install --connect NAME:ENDPOINT`. */
export interface NamedRuntime {
  name: string;
  endpoint: string;
}

export interface UnitOptions {
  binary: string;
  listen: string;
  primary: string;
  named: NamedRuntime[];
  /** Extra `criproxy serve` flags, e.g. ["-v", "3"]. */
  serveArgs: string[];
}

// Lowercase DNS-style, dots allowed (`vm`, `virtlet.cloud`), as serve accepts.
const NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/** Checks an endpoint is a socket path or unix:// URL that systemd can carry unquoted. */
export function checkEndpoint(endpoint: string): Error | undefined {
  return checkEndpointValue("endpoint", endpoint);
}

/** Parses `NAME:ENDPOINT,...` (the named runtimes; the primary comes from kubelet's config). */
export function parseNamedRuntimes(spec: string): NamedRuntime[] | Error {
  const out: NamedRuntime[] = [];
  for (const item of spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")) {
    const colon = item.indexOf(":");
    const name = colon > 0 ? item.slice(0, colon) : "";
    const endpoint = item.slice(colon + 1);
    if (name === "" || name === "unix" || !NAME.test(name)) {
      return new Error(
        `--connect "${item}": expected NAME:ENDPOINT with a lowercase DNS-style NAME (the primary runtime is found from kubelet's configuration)`,
      );
    }
    const bad = checkEndpoint(endpoint);
    if (bad) return new Error(`--connect "${item}": ${bad.message}`);
    if (out.some((n) => n.name === name)) return new Error(`--connect: runtime "${name}" is given twice`);
    out.push({ name, endpoint });
  }
  return out;
}

/** The `--connect` value: the primary first, unnamed, then NAME:ENDPOINT for each named runtime. */
export function connectSpec(primary: string, named: NamedRuntime[]): string {
  return [primary, ...named.map((n) => `${n.name}:${n.endpoint}`)].join(",");
}

/** The text of /etc/systemd/system/criproxy.service; every value in it is checked by the caller (unit-value.ts). */
export function criproxyUnit(o: UnitOptions): string {
  const exec = [o.binary, "--listen", o.listen, "--connect", connectSpec(o.primary, o.named), ...o.serveArgs].join(" ");
  return `# Written by \`criproxy install\`; \`criproxy uninstall\` removes it and points kubelet back at
# ${o.primary}.
[Unit]
Description=criproxy: the CRI endpoint kubelet uses, routed to the node's container runtimes
After=network.target
# kubelet talks to ${o.listen}: start the proxy first.
Before=kubelet.service

[Service]
ExecStart=${exec}
Restart=always
RestartSec=2
# Keep the proxy alive when the node is short of memory: kubelet cannot reach any pod without it.
OOMScoreAdjust=-999
${unitMemory(o.serveArgs)}${unitSandbox(o.listen, o.serveArgs)}
[Install]
WantedBy=multi-user.target
`;
}
