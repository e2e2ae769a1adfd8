// `criproxy install` / `criproxy uninstall`: put criproxy between kubelet and its runtime on a
// node (or take it out), from the node itself or from a pod with the host's root mounted.
import { defineCommand } from "citty";
import { runInstall, runUninstall } from "../install/run-install.ts";
import { DEFAULT_LISTEN } from "../install/paths.ts";

const common = {
  "host-root": {
    type: "string",
    default: "/",
    description: "where the node's root file system is mounted (/host in the DaemonSet)",
  },
  "dry-run": {
    type: "boolean",
    default: false,
    description: "print the exact changes (a unified diff) and change nothing",
  },
  restart: {
    type: "boolean",
    default: false,
    description: "reload systemd and restart criproxy and kubelet on the host (via nsenter when --host-root is not /)",
  },
} as const;

/** True when running as a `bun build --compile` executable, whose own file is the binary to install. */
function compiledBinary(): string | undefined {
  return Bun.main.startsWith("/$bunfs/") ? process.execPath : undefined;
}

export const install = defineCommand({
  meta: {
    name: "install",
    description: "Install criproxy on the node: binary, systemd unit, and kubelet pointed at it (backups kept)",
  },
  args: {
    ...common,
    connect: {
      type: "string",
      description:
        "named runtimes NAME:ENDPOINT,... (the primary is the runtime kubelet uses now; default $CRIPROXY_CONNECT)",
    },
    primary: { type: "string", description: "the primary runtime endpoint, only when kubelet's files set none" },
    listen: {
      type: "string",
      description: `the socket criproxy serves kubelet on (default: where it is installed listening, else ${DEFAULT_LISTEN})`,
    },
    binary: { type: "string", description: "the criproxy executable to install (default: this one, when compiled)" },
    "serve-args": {
      type: "string",
      description: 'extra `criproxy serve` flags for the unit, e.g. "-v 3" (default $CRIPROXY_SERVE_ARGS)',
    },
    check: {
      type: "boolean",
      default: false,
      description: "exit 0 only if the node is as install leaves it and criproxy's socket accepts connections",
    },
    interval: {
      type: "string",
      description: "with --check: check again every N seconds, forever (the DaemonSet's health container)",
    },
  },
  async run({ args }) {
    const once = () =>
      runInstall({
        hostRoot: args["host-root"],
        dryRun: args["dry-run"],
        restart: args.restart,
        // From the environment too: the DaemonSet's exec probe gets env from the ConfigMap but no $(VAR) expansion.
        connect: args.connect ?? process.env.CRIPROXY_CONNECT ?? "",
        listen: args.listen,
        primary: args.primary,
        binary: args.binary ?? compiledBinary(),
        serveArgs: args["serve-args"] ?? process.env.CRIPROXY_SERVE_ARGS ?? "",
        check: args.check,
      });
    const every = Number(args.interval ?? 0);
    if (!args.check || !(every > 0)) {
      process.exitCode = await once();
      return;
    }
    for (;;) {
      await once();
      await Bun.sleep(every * 1000);
    }
  },
});

export const uninstall = defineCommand({
  meta: {
    name: "uninstall",
    description: "Point kubelet back at the original runtime, restore the backups, remove criproxy's files",
  },
  args: common,
  async run({ args }) {
    process.exitCode = await runUninstall({
      hostRoot: args["host-root"],
      dryRun: args["dry-run"],
      restart: args.restart,
    });
  },
});
