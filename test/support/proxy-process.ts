// The real proxy as a child process, exactly as it runs on a node: for end-to-end tests.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";

export interface ProxyProcess {
  readonly socket: string;
  readonly proc: ChildProcess;
  /** Everything the proxy wrote to stderr so far. */
  log(): string;
  /** SIGTERM, wait for exit (SIGKILL after a bound); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/** The command line's entry file. */
export const cliEntry = join(import.meta.dir, "../../src/cli/main.ts");

/** True when something accepts connections on the socket (a stale file does not). */
export function accepts(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socket, () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

/** A fresh temp dir for sockets; removed by the returned function. */
export function tempDir(prefix = "criproxy-test-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts `criproxy` with args (plus --listen when not given; `entry`: another checkout's src/cli/main.ts, to measure it); resolves once the socket accepts connections. */
export async function startProxy(
  args: string[],
  opts: { socket?: string; waitMs?: number; env?: Record<string, string>; entry?: string } = {},
): Promise<ProxyProcess> {
  const socket = opts.socket ?? join(mkdtempSync(join(tmpdir(), "criproxy-px-")), "criproxy.sock");
  const argv = args.some((a) => a.replace(/^-+/, "").startsWith("listen")) ? args : [...args, "--listen", socket];
  const proc = spawn(process.execPath, [opts.entry ?? cliEntry, ...argv], {
    stdio: ["ignore", "pipe", "pipe"],
    env: opts.env ? { ...process.env, ...opts.env } : undefined,
  });
  let out = "";
  proc.stderr!.on("data", (d) => (out += d));
  proc.stdout!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + (opts.waitMs ?? 10_000);
  while (!(existsSync(socket) && (await accepts(socket)))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`criproxy did not start (exit ${proc.exitCode}):\n${out}`);
    }
    await Bun.sleep(10);
  }
  return {
    socket,
    proc,
    log: () => out,
    exited,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 8000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
