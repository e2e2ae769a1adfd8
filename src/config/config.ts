// The proxy's configuration, built from flags (pure: strings in, a checked Config out).
import { normalize } from "node:path";
import { parseDuration } from "./duration.ts";
import { parseConnect, type BackendSpec } from "./endpoints.ts";
import { parseMetricsAddr, type MetricsAddr } from "./metrics-addr.ts";
import { DEFAULT_TRACING_ENDPOINT, samplingRate, tracingUrl, type TracingConfig } from "./tracing-config.ts";
import type { LogFormat } from "../log/logger.ts";

export interface HandlerClaim {
  /** The RuntimeClass handler kubelet sends. */
  readonly handler: string;
  /** The backend that serves it. */
  readonly backend: string;
  /** The handler that backend sees ("" = its default runtime). */
  readonly backendHandler: string;
}

export interface Config {
  readonly listen: string;
  readonly backends: readonly BackendSpec[];
  readonly verbosity: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly staleGraceMs: number;
  /** A named runtime's budget for its whole part of a merged answer. */
  readonly fanOutBudgetMs: number;
  /** How long a runtime that missed its budget is answered from memory before one call tries it again. */
  readonly coolOffMs: number;
  /** How often a runtime that missed its budget is probed in the background. */
  readonly probeIntervalMs: number;
  readonly shutdownGraceMs: number;
  readonly handlers: readonly HandlerClaim[];
  /** Base for path-only streaming URLs (Exec/Attach/PortForward), e.g. http://10.0.0.5:10010. */
  readonly streamUrl: string | undefined;
  /** Where /metrics, /healthz and /readyz are served; undefined: nowhere. */
  readonly metricsAddr: MetricsAddr | undefined;
  /** The socket's group (a name or a gid); undefined: the process's group. */
  readonly socketGroup: string | undefined;
  readonly logFormat: LogFormat;
  /**
   * `--rewrite-authority`, accepted for units and config files written for earlier releases.
   * It has no effect: criproxy's own HTTP/2 never reads :authority, so every one is served.
   */
  readonly rewriteAuthority: boolean;
  /** The most bytes the proxy holds for calls at once (request bodies, answers in flight); past it, ResourceExhausted. */
  readonly maxBufferedBytes: number;
  /** OpenTelemetry tracing; undefined (the default): off. */
  readonly tracing?: TracingConfig;
  /** The --config file this came from, if any (SIGHUP re-reads it). */
  readonly configFile?: string;
}

/** A flag whose value is wrong: the message names the flag. */
export class FlagError extends Error {
  constructor(
    readonly flag: string,
    /** What is wrong, without the flag's name. */
    readonly reason: string,
  ) {
    super(`--${flag}: ${reason}`);
  }
}

export interface FlagValues {
  listen?: string;
  connect?: string;
  v?: string;
  "connect-timeout"?: string;
  "request-timeout"?: string;
  "stale-grace"?: string;
  "fan-out-budget"?: string;
  "cool-off"?: string;
  "probe-interval"?: string;
  "shutdown-grace"?: string;
  "runtime-handler"?: string | string[];
  "stream-url"?: string;
  "stream-port"?: string;
  "metrics-addr"?: string;
  "socket-group"?: string;
  "log-format"?: string;
  "rewrite-authority"?: boolean | string;
  "max-buffered-bytes"?: string;
  "tracing-endpoint"?: string;
  "tracing-sampling-rate-per-million"?: string;
  config?: string;
}

export const defaults = {
  listen: "/run/criproxy.sock",
  connect: "unix:///run/containerd/containerd.sock",
  v: "0",
  "connect-timeout": "5s",
  "request-timeout": "2m",
  "stale-grace": "10m",
  // From kubelet's timings: it relists every 1 s, times runtime calls out at 2 min and calls the
  // node NotReady when a relist has not completed for 3 min. A 5 s budget keeps one slow relist
  // far under those; a 60 s cool-off makes a hung runtime cost one budget a minute; a probe
  // every 1 s (a relist period) brings a recovered runtime back by the next relist but one.
  "fan-out-budget": "5s",
  "cool-off": "60s",
  "probe-interval": "1s",
  "shutdown-grace": "5s",
  "log-format": "text",
  "max-buffered-bytes": "512Mi",
} as const;

/** Builds the Config from flag values; throws FlagError naming the first bad flag. */
export function configFromFlags(f: FlagValues): Config {
  const get = <K extends keyof typeof defaults>(k: K): string => (f[k] as string | undefined) ?? defaults[k];
  const backends = flag("connect", () => parseConnect(get("connect")));
  const names = new Set(backends.map((b) => b.name));
  const listen = get("listen");
  if (!listen.startsWith("/"))
    throw new FlagError("listen", `${JSON.stringify(listen)} is not an absolute socket path`);
  // Serving on a runtime's own socket would take it from the runtime: every later client (kubelet, crictl, criproxy's own reconnects) would reach criproxy.
  const taken = backends.find((b) => normalize(b.socket) === normalize(listen));
  if (taken)
    throw new FlagError(
      "listen",
      `${listen} is the socket of runtime ${taken.name || "primary"} (--connect); criproxy must listen elsewhere`,
    );
  const verbosity = Number(get("v"));
  if (!Number.isInteger(verbosity) || verbosity < 0 || verbosity > 5)
    throw new FlagError("v", `${JSON.stringify(get("v"))} is not a level from 0 to 5`);
  const claims = [f["runtime-handler"] ?? []].flat().map((c) => flag("runtime-handler", () => parseClaim(c, names)));
  return {
    listen,
    backends,
    verbosity,
    connectTimeoutMs: flag("connect-timeout", () => parseDuration(get("connect-timeout"))),
    requestTimeoutMs: flag("request-timeout", () => parseDuration(get("request-timeout"))),
    staleGraceMs: flag("stale-grace", () => parseDuration(get("stale-grace"))),
    fanOutBudgetMs: flag("fan-out-budget", () => positive(parseDuration(get("fan-out-budget")))),
    coolOffMs: flag("cool-off", () => parseDuration(get("cool-off"))),
    probeIntervalMs: flag("probe-interval", () => positive(parseDuration(get("probe-interval")))),
    shutdownGraceMs: flag("shutdown-grace", () => parseDuration(get("shutdown-grace"))),
    handlers: claims,
    streamUrl: flag("stream-url", () => streamBase(f["stream-url"], f["stream-port"])),
    metricsAddr: f["metrics-addr"] ? flag("metrics-addr", () => parseMetricsAddr(f["metrics-addr"]!)) : undefined,
    socketGroup: f["socket-group"] ? flag("socket-group", () => socketGroup(f["socket-group"]!)) : undefined,
    logFormat: flag("log-format", () => logFormat(get("log-format"))),
    rewriteAuthority: flag("rewrite-authority", () => onOff(f["rewrite-authority"])),
    maxBufferedBytes: flag("max-buffered-bytes", () => parseBytes(get("max-buffered-bytes"))),
    ...tracingOf(f),
  };
}

// On when either tracing setting is given (as kubelet's `tracing:` section turns it on); off by default.
function tracingOf(f: FlagValues): { tracing?: TracingConfig } {
  const endpoint = f["tracing-endpoint"];
  const rate = f["tracing-sampling-rate-per-million"];
  if (endpoint === undefined && rate === undefined) return {};
  return {
    tracing: {
      url: flag("tracing-endpoint", () => tracingUrl(endpoint ?? DEFAULT_TRACING_ENDPOINT)),
      samplingRatePerMillion:
        rate === undefined ? 0 : flag("tracing-sampling-rate-per-million", () => samplingRate(rate)),
    },
  };
}

function flag<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw e instanceof FlagError ? e : new FlagError(name, (e as Error).message);
  }
}

/** `HANDLER=NAME[:BACKEND_HANDLER]`: kubelet's RuntimeClass handler HANDLER goes to backend NAME. */
export function parseClaim(text: string, names: ReadonlySet<string>): HandlerClaim {
  const m = /^([^=]+)=([^:]+)(?::(.*))?$/.exec(text);
  if (!m) throw new Error(`${JSON.stringify(text)} is not HANDLER=NAME[:BACKEND_HANDLER]`);
  const [, handler, backend, backendHandler = ""] = m;
  if (!names.has(backend) || backend === "")
    throw new Error(
      `${JSON.stringify(text)} names runtime ${JSON.stringify(backend)}, which --connect does not define`,
    );
  return { handler, backend, backendHandler };
}

// The original took -streamUrl (a base URL) and -streamPort (a port on this node).
function streamBase(url: string | undefined, port: string | undefined): string | undefined {
  if (url) {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:")
      throw new Error(`${JSON.stringify(url)} is not an http(s) URL`);
    return url.replace(/\/$/, "");
  }
  if (port === undefined) return undefined;
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new FlagError("stream-port", `${JSON.stringify(port)} is not a port`);
  return `http://127.0.0.1:${n}`;
}

/** A byte count: `536870912`, `512Mi`, `2Gi`, `500M`; at least 32Mi, so a 16 MiB kubelet answer always fits, twice. */
export function parseBytes(text: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not a byte count (e.g. 512Mi)`);
  const unit = { "": 1, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] ?? ""]!;
  const n = Number(m[1]) * unit;
  if (n < 32 * 1024 * 1024)
    throw new Error(`${JSON.stringify(text)} is less than 32Mi: a single 16 MiB kubelet answer must fit, twice`);
  return n;
}

function positive(ms: number): number {
  if (ms <= 0) throw new Error("must be more than 0");
  return ms;
}

function onOff(value: boolean | string | undefined): boolean {
  if (value === undefined || value === false || value === "false") return false;
  if (value === true || value === "true") return true;
  throw new Error(`${JSON.stringify(value)} is not true or false`);
}

function logFormat(text: string): LogFormat {
  if (text !== "text" && text !== "json") throw new Error(`${JSON.stringify(text)} is not text or json`);
  return text;
}

// A group name as /etc/group spells them, or a number; resolving it is the daemon's (I/O).
function socketGroup(text: string): string {
  if (!/^(\d+|[a-z_][a-z0-9_.-]*\$?)$/i.test(text))
    throw new Error(`${JSON.stringify(text)} is not a group name or gid`);
  return text;
}
