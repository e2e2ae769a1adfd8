// `--metrics-addr HOST:PORT`: the host must be written out, so an operator never exposes
// the metrics port beyond the node by leaving it blank (":9102" would mean every address).
import { isIP } from "node:net";

export interface MetricsAddr {
  readonly host: string;
  readonly port: number;
  /** True for 127.0.0.0/8, ::1 and localhost. */
  readonly loopback: boolean;
}

/** Parses `HOST:PORT` or `[IPV6]:PORT`; throws naming what is wrong. */
export function parseMetricsAddr(text: string): MetricsAddr {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not HOST:PORT (e.g. 127.0.0.1:9102)`);
  const host = m[1] ?? m[2];
  if (host === "")
    throw new Error(
      `${JSON.stringify(text)} has no host: write 127.0.0.1:${m[3]} (loopback), or the address to expose it on`,
    );
  if (m[1] !== undefined && isIP(host) !== 6) throw new Error(`${JSON.stringify(host)} is not an IPv6 address`);
  if (m[1] === undefined && isIP(host) === 0 && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host))
    throw new Error(`${JSON.stringify(host)} is not a host name or address`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`${m[3]} is not a port`);
  return { host, port, loopback: isLoopback(host) };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}
