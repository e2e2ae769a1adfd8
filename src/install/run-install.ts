// `criproxy install` and `criproxy uninstall` as programs: plan against the host's files, print,
// apply, restart. The CLI turns flags into these options; tests call them with a fake host root.
import { readFileSync } from "node:fs";
import { applyPlan } from "./apply-plan.ts";
import { parseNamedRuntimes } from "./criproxy-unit.ts";
import { fsHostView } from "./host-fs-view.ts";
import { resolveHostPath } from "./host-path.ts";
import { sha256 } from "./host-view.ts";
import { installListen, planInstall } from "./install-plan.ts";
import { isEmptyPlan, type Plan } from "./plan.ts";
import { renderPlan } from "./render-plan.ts";
import { socketAccepts } from "./socket-check.ts";
import { runSystemctl, systemctlArgv } from "./systemctl.ts";
import { planUninstall } from "./uninstall-plan.ts";
import { checkArgs, checkEndpointValue, checkSocketPath } from "./unit-value.ts";

export interface CommonOptions {
  hostRoot: string;
  dryRun: boolean;
  restart: boolean;
  out?: (text: string) => void;
  /** Where errors go (default: stderr). */
  err?: (text: string) => void;
  /** Fault injection (tests): runs after each change of the plan is on disk, given its number from 1. */
  afterStep?: (n: number) => void;
}

/**
 * CRIPROXY_FAULT_KILL_AFTER_STEP=N: the process SIGKILLs itself once the N-th change is on disk,
 * as an installer container killed or a node losing power there would (test/install/kill-at-every-step.test.ts).
 */
function killAfterStep(): ((n: number) => void) | undefined {
  const n = Number(process.env.CRIPROXY_FAULT_KILL_AFTER_STEP);
  return Number.isInteger(n) && n > 0 ? (step) => void (step === n && process.kill(process.pid, "SIGKILL")) : undefined;
}

export interface InstallCommandOptions extends CommonOptions {
  /** Named runtimes, `NAME:ENDPOINT,...`. */
  connect: string;
  /** Undefined: where criproxy is installed listening, else DEFAULT_LISTEN. */
  listen?: string;
  primary?: string;
  /** The binary to install; undefined when not known (running from source without --binary). */
  binary?: string;
  serveArgs: string;
  /** Only report whether the node is as install leaves it (and criproxy's socket answers). */
  check: boolean;
}

/** Prints the plan, applies it unless dry-run, and restarts or says what is left to do; returns the exit code. */
function carryOut(plan: Plan, o: CommonOptions, nothing: string): number {
  const out = o.out ?? ((t: string) => process.stdout.write(t));
  if (isEmptyPlan(plan)) {
    out(`${plan.notes.map((n) => `# ${n}\n`).join("")}${nothing}\n`);
    return 0;
  }
  out(renderPlan(plan));
  if (o.dryRun) {
    out("dry run: nothing was changed\n");
    return 0;
  }
  try {
    applyPlan(o.hostRoot, plan.changes, o.afterStep ?? killAfterStep());
  } catch (e) {
    (o.err ?? ((t: string) => process.stderr.write(t)))(`criproxy: ${(e as Error).message}\n`);
    return 1;
  }
  out(`applied ${plan.changes.length} changes under ${o.hostRoot}\n`);
  if (o.restart) {
    runSystemctl(plan.systemctl, o.hostRoot, (l) => out(`${l}\n`));
  } else if (plan.systemctl.length > 0) {
    out(
      `to finish, run on the node (or pass --restart):\n${plan.systemctl.map((c) => `  ${systemctlArgv(c, "/").join(" ")}\n`).join("")}`,
    );
  }
  return 0;
}

/** `criproxy install`; returns the process exit code. */
export async function runInstall(o: InstallCommandOptions): Promise<number> {
  const err = (t: string) => (o.err ?? ((x: string) => process.stderr.write(x)))(`criproxy install: ${t}\n`);
  const named = parseNamedRuntimes(o.connect);
  if (named instanceof Error) return (err(named.message), 2);
  if (o.binary === undefined)
    return (err("pass --binary PATH: this criproxy is not a compiled executable, so there is no binary to copy"), 2);
  let bytes: Buffer;
  try {
    bytes = readFileSync(o.binary);
  } catch (e) {
    return (err(`cannot read --binary ${o.binary}: ${(e as Error).message}`), 2);
  }
  const serveArgs = o.serveArgs.split(/\s+/).filter((a) => a !== "");
  // Every value that goes into the unit or kubelet's files, checked before anything is read.
  const bad =
    (o.listen === undefined ? undefined : checkSocketPath("--listen", o.listen)) ??
    (o.primary === undefined ? undefined : checkEndpointValue("--primary", o.primary)) ??
    checkArgs("--serve-args", serveArgs);
  if (bad) return (err(bad.message), 2);
  const view = fsHostView(o.hostRoot);
  const listen = installListen(view, o.listen);
  if (listen instanceof Error) return (err(listen.message), 1);
  const plan = planInstall(view, {
    named,
    listen,
    primary: o.primary,
    binary: { from: o.binary, sha256: sha256(bytes) },
    serveArgs,
  });
  if (plan instanceof Error) return (err(plan.message), 1);
  if (o.check) {
    const serving = await socketAccepts(resolveHostPath(o.hostRoot, listen));
    const out = o.out ?? ((t: string) => process.stdout.write(t));
    if (isEmptyPlan(plan) && serving) return (out(`ok: installed, and criproxy accepts connections on ${listen}\n`), 0);
    out(
      isEmptyPlan(plan)
        ? `not ok: nothing accepts connections on ${listen}\n`
        : `not ok: the node differs from what install leaves:\n${renderPlan(plan)}`,
    );
    return 1;
  }
  return carryOut(plan, o, "nothing to change: criproxy is installed and kubelet points at it");
}

/** `criproxy uninstall`; returns the process exit code. */
export async function runUninstall(o: CommonOptions): Promise<number> {
  const plan = planUninstall(fsHostView(o.hostRoot));
  if (plan instanceof Error)
    return ((o.err ?? ((t: string) => process.stderr.write(t)))(`criproxy uninstall: ${plan.message}\n`), 1);
  return carryOut(plan, o, "nothing to change");
}
