// `--config FILE`: the same settings as the flags, in YAML or TOML (Bun's own parsers), e.g.
//
//   listen: /run/criproxy.sock
//   backends:
//     - endpoint: unix:///run/containerd/containerd.sock   # the first is the primary
//     - name: vm
//       endpoint: unix:///run/vm.sock
//       handlers: { kata: kata-qemu }                       # RuntimeClass handler -> what vm sees
//       api: v1alpha2                                       # its CRI API, unprobed (default: probed)
//   stale-grace: 10m
//   v: 2
//   metrics-addr: 127.0.0.1:9102
//   tracing: { endpoint: localhost:4318, samplingRatePerMillion: 10000 }  # as kubelet's tracing:
//
// Keys are the flags' names; flags given on the command line override the file.
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { CRI_APIS, isCriApi } from "../core/cri-apis.ts";
import { configFromFlags, FlagError, type Config, type FlagValues } from "./config.ts";
import { checkConfigTrust } from "./config-trust.ts";
import { resolveSocketGroup } from "./socket-group.ts";

/** A configuration file that cannot be used: the message names the file and what is wrong. */
export class ConfigFileError extends Error {}

const scalarKeys = [
  "listen",
  "v",
  "connect-timeout",
  "request-timeout",
  "stale-grace",
  "fan-out-budget",
  "cool-off",
  "probe-interval",
  "shutdown-grace",
  "stream-url",
  "stream-port",
  "metrics-addr",
  "socket-group",
  "log-format",
  "rewrite-authority",
  "max-buffered-bytes",
  "tracing-endpoint",
  "tracing-sampling-rate-per-million",
] as const;
const durationKeys = new Set([
  "connect-timeout",
  "request-timeout",
  "stale-grace",
  "fan-out-budget",
  "cool-off",
  "probe-interval",
  "shutdown-grace",
]);
const backendKeys = new Set(["name", "endpoint", "api", "handlers"]);

/** The parser for a file name's extension. */
export function formatOf(path: string): "yaml" | "toml" {
  const ext = extname(path).toLowerCase();
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  if (ext === ".toml") return "toml";
  throw new ConfigFileError(`${path}: unknown extension ${JSON.stringify(ext)}: name it .yaml, .yml or .toml`);
}

/** A file's text as flag values (pure); throws ConfigFileError naming the file and the key. */
export function flagsFromText(text: string, format: "yaml" | "toml", file: string): FlagValues {
  let doc: unknown;
  try {
    doc = format === "yaml" ? Bun.YAML.parse(text) : Bun.TOML.parse(text);
  } catch (e) {
    throw new ConfigFileError(`${file}: not valid ${format.toUpperCase()}: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new ConfigFileError(`${file}: the top level must be a mapping of settings`);
  const bad = (key: string, why: string) => new ConfigFileError(`${file}: ${key}: ${why}`);
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (key === "backends") {
      Object.assign(
        out,
        backendFlags(value, (k, why) => bad(k, why)),
      );
      continue;
    }
    if (key === "tracing") {
      Object.assign(
        out,
        tracingFlags(value, (k, why) => bad(k, why)),
      );
      continue;
    }
    if (!(scalarKeys as readonly string[]).includes(key))
      throw bad(key, `unknown setting (known: backends, tracing, ${scalarKeys.join(", ")})`);
    if (typeof value === "string") out[key] = value;
    else if (typeof value === "number" && Number.isFinite(value))
      out[key] = durationKeys.has(key) ? `${value}s` : String(value);
    else if (typeof value === "boolean") out[key] = String(value);
    else throw bad(key, `${JSON.stringify(value)} is not a string or number`);
  }
  return out as FlagValues;
}

// `tracing:` as Kubernetes' TracingConfiguration spells it -> the --tracing-* values. An empty section turns tracing on with its defaults.
function tracingFlags(value: unknown, bad: (key: string, why: string) => Error): FlagValues {
  if (value === null || value === undefined) return { "tracing-sampling-rate-per-million": "0" };
  if (typeof value !== "object" || Array.isArray(value))
    throw bad("tracing", "must be a mapping with endpoint and samplingRatePerMillion");
  const out: FlagValues = {};
  for (const [k, v] of Object.entries(value)) {
    if (k !== "endpoint" && k !== "samplingRatePerMillion")
      throw bad(`tracing.${k}`, "unknown setting (known: endpoint, samplingRatePerMillion)");
    if (typeof v !== "string" && typeof v !== "number")
      throw bad(`tracing.${k}`, `${JSON.stringify(v)} is not a string or number`);
    if (k === "endpoint") out["tracing-endpoint"] = String(v);
    else out["tracing-sampling-rate-per-million"] = String(v);
  }
  out["tracing-sampling-rate-per-million"] ??= "0";
  return out;
}

// `backends:` -> the `--connect` and `--runtime-handler` values.
function backendFlags(value: unknown, bad: (key: string, why: string) => Error): FlagValues {
  if (!Array.isArray(value) || value.length === 0) throw bad("backends", "must be a list, the primary first");
  const connect: string[] = [];
  const claims: string[] = [];
  value.forEach((entry, i) => {
    const at = `backends[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      throw bad(at, "must be a mapping with endpoint (and name, api, handlers)");
    for (const k of Object.keys(entry))
      if (!backendKeys.has(k)) throw bad(`${at}.${k}`, "unknown setting (known: name, endpoint, api, handlers)");
    const { name, endpoint, api, handlers } = entry as Record<string, unknown>;
    if (typeof endpoint !== "string" || endpoint === "")
      throw bad(`${at}.endpoint`, "a socket path or unix:// URL is required");
    if (i === 0 && name !== undefined) throw bad(`${at}.name`, "the first backend is the primary and takes no name");
    if (i > 0 && (typeof name !== "string" || name === ""))
      throw bad(`${at}.name`, "every backend after the primary needs a name");
    if (/,/.test(endpoint) || (typeof name === "string" && /[,:]/.test(name)))
      throw bad(at, "names and endpoints cannot contain commas");
    if (api !== undefined && (typeof api !== "string" || !isCriApi(api)))
      throw bad(`${at}.api`, `${JSON.stringify(api)} is not one of ${CRI_APIS.join(", ")}`);
    if (api !== undefined && /\?api=/.test(endpoint)) throw bad(`${at}.api`, "given twice: as api and in the endpoint");
    const withApi = api === undefined ? endpoint : `${endpoint}?api=${api}`;
    connect.push(i === 0 ? withApi : `${name}:${withApi}`);
    if (handlers === undefined) return;
    if (i === 0)
      throw bad(
        `${at}.handlers`,
        "the primary serves every handler no other backend claims; claims belong to named backends",
      );
    if (typeof handlers !== "object" || handlers === null || Array.isArray(handlers))
      throw bad(`${at}.handlers`, "must map kubelet's handler to the one the backend sees ('' for its default)");
    for (const [h, seen] of Object.entries(handlers)) {
      if (typeof seen !== "string")
        throw bad(`${at}.handlers.${h}`, "the handler the backend sees must be a string ('' for its default)");
      claims.push(`${h}=${name}${seen === "" ? "" : `:${seen}`}`);
    }
  });
  return { connect: connect.join(","), "runtime-handler": claims };
}

/** Reads a config file as flag values; refuses one that anyone but root (or criproxy's uid) could change (config-trust.ts). */
export function readConfigFile(path: string): FlagValues {
  const format = formatOf(path);
  const trusted = checkConfigTrust(path);
  if (typeof trusted === "string") {
    throw new ConfigFileError(`${path}: refusing it: ${trusted}; whoever can change it could reroute kubelet's calls`);
  }
  let fd: number;
  try {
    fd = openSync(trusted.real, "r");
  } catch (e) {
    throw new ConfigFileError(`${path}: cannot open: ${(e as Error).message}`);
  }
  try {
    // fstat the descriptor we read from: the file checked is the file read.
    const st = fstatSync(fd);
    if (st.dev !== trusted.dev || st.ino !== trusted.ino)
      throw new ConfigFileError(`${path}: refusing it: it was replaced while it was being checked`);
    return flagsFromText(readFileSync(fd, "utf8"), format, path);
  } finally {
    closeSync(fd);
  }
}

/** The names of the flags the user set (citty also hands over defaults and aliases; those are not overrides). */
export function givenFlags(args: Record<string, unknown>): FlagValues {
  const out: Record<string, unknown> = {};
  for (const key of [...scalarKeys, "connect", "runtime-handler", "config"])
    if (args[key] !== undefined) out[key] = args[key];
  return out as FlagValues;
}

/**
 * The configuration: the --config file (if any) with the command-line flags over it, checked,
 * including that --socket-group names a group here. Throws FlagError or ConfigFileError.
 */
export function loadConfig(cli: FlagValues): Config {
  const file = cli.config;
  const fromFile = file ? readConfigFile(file) : {};
  const merged: FlagValues = { ...fromFile };
  for (const [k, v] of Object.entries(cli)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  let config: Config;
  try {
    config = configFromFlags(merged);
    if (config.socketGroup !== undefined) {
      const group = config.socketGroup;
      try {
        resolveSocketGroup(group);
      } catch (e) {
        throw new FlagError("socket-group", (e as Error).message);
      }
    }
  } catch (e) {
    // A bad value from the file is reported as the file's, under the key the file uses.
    if (
      e instanceof FlagError &&
      file &&
      (cli as Record<string, unknown>)[e.flag] === undefined &&
      e.flag in fromFile
    ) {
      const key =
        e.flag === "connect" || e.flag === "runtime-handler"
          ? "backends"
          : e.flag === "tracing-endpoint"
            ? "tracing.endpoint"
            : e.flag === "tracing-sampling-rate-per-million"
              ? "tracing.samplingRatePerMillion"
              : e.flag;
      throw new ConfigFileError(`${file}: ${key}: ${e.reason}`);
    }
    throw e;
  }
  return file ? { ...config, configFile: file } : config;
}
