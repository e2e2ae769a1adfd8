#!/usr/bin/env bun
// criproxy's command line: `criproxy [serve] --connect ... --listen ...` and its subcommands.
import { defineCommand, renderUsage, runMain } from "citty";
import { normalizeLegacyArgs } from "./legacy-args.ts";
import { VERSION } from "../version.ts";

const main = defineCommand({
  meta: {
    name: "criproxy",
    version: VERSION,
    description: "A CRI proxy: one CRI endpoint for kubelet, routed to several runtimes",
  },
  subCommands: {
    serve: () => import("./serve.ts").then((m) => m.default),
    version: () => import("./version.ts").then((m) => m.default),
    demo: () => import("./demo.ts").then((m) => m.default),
    install: () => import("./install.ts").then((m) => m.install),
    uninstall: () => import("./install.ts").then((m) => m.uninstall),
    "check-config": () => import("./check-config.ts").then((m) => m.default),
  },
});

/** Runs the command line; a bare `criproxy --flags` means `criproxy serve --flags`. */
export async function cli(argv: string[]): Promise<void> {
  const args = normalizeLegacyArgs(argv);
  const sub = args[0];
  if (args.length === 1 && (sub === "--help" || sub === "-h")) {
    // `criproxy --flags` is `criproxy serve --flags`: show the serve flags here too.
    const serve = (await import("./serve.ts")).default;
    process.stdout.write(`${await renderUsage(main)}\n\n${await renderUsage(serve, main as never)}\n`);
    return;
  }
  const known = ["serve", "version", "demo", "install", "uninstall", "check-config", "--help", "-h", "--version"];
  const rawArgs = sub !== undefined && known.includes(sub) ? args : ["serve", ...args];
  await runMain(main, { rawArgs });
}

if (import.meta.main) void cli(process.argv.slice(2));
