// `criproxy serve` (the default command): flags (and --config) -> Config -> a running proxy
// until SIGTERM/SIGINT; SIGHUP re-reads --config.
import { defineCommand } from "citty";
import { defaults, FlagError, type Config } from "../config/config.ts";
import { givenFlags, loadConfig } from "../config/config-file.ts";
import { startDaemon } from "../daemon/daemon.ts";
import { createLogger } from "../log/logger.ts";
import { repeatedFlags } from "./repeated-flags.ts";

export const serveArgs = {
  config: {
    type: "string",
    description:
      "YAML (.yaml) or TOML (.toml) file with these settings; flags override it; SIGHUP re-reads it. Example: --config /etc/criproxy/config.yaml",
    valueHint: "FILE",
  },
  listen: {
    type: "string",
    description: `Unix socket kubelet connects to (default ${defaults.listen}). Example: --listen /run/criproxy.sock`,
    valueHint: "PATH",
  },
  connect: {
    type: "string",
    description: `Runtimes: the primary first, then NAME:ENDPOINT entries, comma-separated or repeated; ENDPOINT?api=v1alpha2 (or v1) speaks that CRI API without probing (default ${defaults.connect}). Example: --connect /run/containerd/containerd.sock,vm:unix:///run/vm.sock?api=v1alpha2`,
    valueHint: "ENDPOINTS",
  },
  v: {
    type: "string",
    description:
      "Log level 0-5: 2 failed calls, 3 state-changing calls dumped, 4 status calls, 5 list calls. Example: -v 3",
    valueHint: "N",
  },
  "connect-timeout": {
    type: "string",
    description: `How long a call waits for a runtime that is not connected (default ${defaults["connect-timeout"]}). Example: --connect-timeout 5s`,
    valueHint: "DURATION",
  },
  "request-timeout": {
    type: "string",
    description: `Deadline of a runtime call when kubelet sends none (default ${defaults["request-timeout"]}; 0 for none). Example: --request-timeout 2m`,
    valueHint: "DURATION",
  },
  "stale-grace": {
    type: "string",
    description: `How long lists keep a vanished runtime's last-known pods (default ${defaults["stale-grace"]}). Example: --stale-grace 10m`,
    valueHint: "DURATION",
  },
  "fan-out-budget": {
    type: "string",
    description: `A named runtime's budget for its whole part of a merged answer; past it, its last-known part stands in (default ${defaults["fan-out-budget"]}). Example: --fan-out-budget 5s`,
    valueHint: "DURATION",
  },
  "cool-off": {
    type: "string",
    description: `After a named runtime misses its budget, how long its parts are answered from memory at once before one call tries it again (default ${defaults["cool-off"]}). Example: --cool-off 60s`,
    valueHint: "DURATION",
  },
  "probe-interval": {
    type: "string",
    description: `How often such a runtime is probed in the background; an answer in time closes its breaker (default ${defaults["probe-interval"]}). Example: --probe-interval 1s`,
    valueHint: "DURATION",
  },
  "shutdown-grace": {
    type: "string",
    description: `On SIGTERM, how long in-flight calls may finish (default ${defaults["shutdown-grace"]}). Example: --shutdown-grace 5s`,
    valueHint: "DURATION",
  },
  "runtime-handler": {
    type: "string",
    description:
      "Route a RuntimeClass handler to a named runtime, repeatable. Example: --runtime-handler kata=vm:kata-qemu",
    valueHint: "HANDLER=NAME[:BACKEND_HANDLER]",
  },
  "stream-url": {
    type: "string",
    description: "Base URL for path-only Exec/Attach/PortForward URLs. Example: --stream-url http://10.0.0.5:10010",
    valueHint: "URL",
  },
  "stream-port": {
    type: "string",
    description:
      "Port on this node for path-only streaming URLs (the original -streamPort). Example: --stream-port 10010",
    valueHint: "PORT",
  },
  "metrics-addr": {
    type: "string",
    description:
      "Serve /metrics, /healthz, /readyz here (off by default; write the host: loopback unless you mean otherwise). Example: --metrics-addr 127.0.0.1:9102",
    valueHint: "HOST:PORT",
  },
  "socket-group": {
    type: "string",
    description: "Group owning the socket (0660), a name or gid. Example: --socket-group kubelet",
    valueHint: "NAME|GID",
  },
  "rewrite-authority": {
    type: "boolean",
    description:
      "Accepted for units written for earlier releases; no effect: every :authority (the raw socket path that grpc-go before 1.58 sends, too) is served",
  },
  "max-buffered-bytes": {
    type: "string",
    description: `The most bytes held for calls at once: request bodies, answers in flight (default ${defaults["max-buffered-bytes"]}); past it, ResourceExhausted. Example: --max-buffered-bytes 1Gi`,
    valueHint: "BYTES",
  },
  "tracing-endpoint": {
    type: "string",
    description:
      "Export OpenTelemetry spans (OTLP over HTTP) to HOST:PORT (http://HOST:PORT/v1/traces) or an http(s) URL; turns tracing on (default: off; with only --tracing-sampling-rate-per-million, localhost:4318). Example: --tracing-endpoint localhost:4318",
    valueHint: "ENDPOINT",
  },
  "tracing-sampling-rate-per-million": {
    type: "string",
    description:
      "Calls without kubelet's trace context traced per million (default 0, as Kubernetes); calls with it follow kubelet's sampling. Turns tracing on. Example: --tracing-sampling-rate-per-million 1000000",
    valueHint: "N",
  },
  "log-format": {
    type: "string",
    description: `text (klog lines, default) or json (one object per line). Example: --log-format json`,
    valueHint: "FORMAT",
  },
  logtostderr: {
    type: "boolean",
    description: "Accepted for the original criproxy's units; criproxy always logs to stderr",
  },
} as const;

export default defineCommand({
  meta: {
    name: "serve",
    description: "Serve CRI on --listen and route calls to the --connect runtimes (the default command)",
  },
  args: serveArgs,
  async run({ args, rawArgs }) {
    let config: Config;
    // Repeated --connect and --runtime-handler all count (citty would keep only the last).
    const cli = givenFlags({ ...(args as Record<string, unknown>), ...repeatedFlags(rawArgs) });
    try {
      rejectUnknownFlags(rawArgs);
      config = loadConfig(cli);
    } catch (e) {
      process.stderr.write(`criproxy: ${(e as Error).message}\n`);
      process.exit(2);
    }
    const log = createLogger({ v: config.verbosity, format: config.logFormat });
    const started = startDaemon(config, log);
    // Signals are ours from the start: the socket accepts connections before startDaemon's
    // promise settles, and a SIGHUP or SIGTERM sent then must not meet the default (exit).
    const running = () => started.catch(() => new Promise<never>(() => {}));
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      const daemon = await running();
      log.log(0, "I", "serve.ts", `${signal}: stopping`);
      await daemon.stop();
      process.exit(0);
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGHUP", async () => {
      const daemon = await running();
      if (!cli.config) {
        log.log(0, "W", "serve.ts", "SIGHUP: no --config file to re-read; nothing changes");
        return;
      }
      const result = await daemon.reload(() => loadConfig(cli));
      if (result.ok)
        log.log(
          0,
          "I",
          "serve.ts",
          `SIGHUP: ${cli.config} applied${result.changes.length ? `: ${result.changes.join("; ")}` : " (no change)"}`,
        );
      else
        log.log(
          0,
          "E",
          "serve.ts",
          `SIGHUP: ${cli.config} rejected, the running configuration stays: ${result.reason}`,
        );
    });
    try {
      await started;
    } catch (e) {
      process.stderr.write(`criproxy: ${(e as Error).message}\n`);
      process.exit(1);
    }
    process.on("uncaughtException", (e) => log.log(0, "E", "serve.ts", `uncaught: ${e?.stack ?? e}`));
    process.on("unhandledRejection", (e) =>
      log.log(0, "E", "serve.ts", `unhandled rejection: ${(e as Error)?.stack ?? e}`),
    );
  },
});

// A misspelt flag must not be silently ignored on a node.
function rejectUnknownFlags(rawArgs: string[]): void {
  const known = new Set(Object.keys(serveArgs));
  for (const arg of rawArgs) {
    const m = /^--?([^=]+)/.exec(arg);
    if (m && !/^-\d/.test(arg) && !known.has(m[1]) && !(m[1].startsWith("no-") && known.has(m[1].slice(3)))) {
      throw new FlagError(m[1], "unknown flag (see criproxy --help)");
    }
  }
}
