// The processes a benchmark run starts: fake runtimes and proxies. Every one is
// registered here and stopped at the end, on error, and on SIGINT/SIGTERM.
import type { Subprocess } from "bun";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { COMPILE_FLAGS } from "../scripts/build.ts";

const ROOT = join(import.meta.dir, "..");
const running = new Set<Subprocess>();

/** SIGTERM every process still running, SIGKILL after `graceMs`; waits for all of them. */
export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all([...running].map((p) => stop(p, graceMs)));
}

/** Stops one process (SIGTERM, then SIGKILL after `graceMs`) and waits for it. */
export async function stop(proc: Subprocess, graceMs = 3000): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await proc.exited;
    clearTimeout(timer);
  }
  running.delete(proc);
}

/** Installs the last-resort cleanup: signals stop everything and exit; a plain exit SIGKILLs leftovers. */
export function installCleanup(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping ${running.size} processes\n`);
      stopAll(1000).finally(() => process.exit(130));
    });
  }
  process.on("exit", () => {
    for (const p of running) if (p.exitCode === null) p.kill("SIGKILL");
  });
}

/** Registers a process started elsewhere, so it is stopped with the others; returns it. */
export function track<P extends Subprocess>(proc: P): P {
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

function spawn(cmd: string[], stdout: "pipe" | "ignore" = "ignore"): Subprocess<"ignore", "pipe" | "ignore", "pipe"> {
  return track(Bun.spawn(cmd, { cwd: ROOT, stdin: "ignore", stdout, stderr: "pipe" }));
}

/** Reads `stream` to its end in the background (a full pipe would block the writer), keeping its last `keep` characters. */
export function drainTail(stream: ReadableStream<Uint8Array>, keep = 8192): () => string {
  let tail = "";
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of stream) tail = (tail + decoder.decode(chunk, { stream: true })).slice(-keep);
    } catch {
      // the process is gone; what was read is kept
    }
  })();
  return () => tail;
}

async function stderrOf(proc: Subprocess<"ignore", "pipe" | "ignore", "pipe">): Promise<string> {
  try {
    return await new Response(proc.stderr).text();
  } catch {
    return "";
  }
}

export interface FakeProcess {
  readonly proc: Subprocess;
  readonly socket: string;
}

/** Starts the test fixture's fake runtime, `pods` × 4 containers; resolves when it prints `ready`. */
export async function startFake(socket: string, pods: number, name: string): Promise<FakeProcess> {
  const proc = spawn(
    [
      process.execPath,
      "test/fake/main.ts",
      "--socket",
      socket,
      "--pods",
      String(pods),
      "--containers-per-pod",
      "4",
      "--name",
      name,
    ],
    "pipe",
  );
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let out = "";
  const timeout = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  try {
    while (!out.includes("ready ")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`fake runtime ${name} exited before ready (${proc.exitCode}): ${await stderrOf(proc)}`);
      out += new TextDecoder().decode(value);
    }
  } finally {
    clearTimeout(timeout);
    reader.releaseLock();
  }
  return { proc, socket };
}

/** How the proxy is started: the bundle, the sources, or the compiled binary. */
export type Form = "bundle" | "source" | "compiled";
export const FORMS: readonly Form[] = ["bundle", "source", "compiled"];

export interface Artifacts {
  readonly bundle: string;
  readonly compiled: string;
}

/** The argv that runs criproxy in `form`, with `bun --smol` when asked (not for the compiled binary, which takes BUN_OPTIONS). */
export function proxyCommand(
  form: Form,
  artifacts: Artifacts,
  smol: boolean,
): { cmd: string[]; env?: Record<string, string> } {
  const bunFlags = smol ? ["--smol"] : [];
  switch (form) {
    case "bundle":
      return { cmd: [process.execPath, ...bunFlags, artifacts.bundle] };
    case "source":
      return { cmd: [process.execPath, ...bunFlags, "src/cli/main.ts"] };
    case "compiled":
      return { cmd: [artifacts.compiled], env: smol ? { BUN_OPTIONS: "--smol" } : undefined };
  }
}

export interface ProxyProcess {
  readonly proc: Subprocess;
  readonly socket: string;
  /** ms from spawn until the socket file existed. */
  readonly readyMs: number;
  /** performance.now() at spawn. */
  readonly spawnedAt: number;
  /** The end of what it wrote to stderr so far. */
  readonly log: () => string;
}

/** Starts a proxy (`extraBunFlags` to bun, `proxyFlags` to criproxy); resolves as soon as its socket file exists. */
export async function startProxy(
  command: { cmd: string[]; env?: Record<string, string> },
  connect: string,
  socket: string,
  extraBunFlags: string[] = [],
  proxyFlags: string[] = [],
): Promise<ProxyProcess> {
  const [exe, ...rest] = command.cmd;
  const cmd = exe === process.execPath ? [exe, ...extraBunFlags, ...rest] : command.cmd;
  const spawnedAt = performance.now();
  const proc = track(
    Bun.spawn([...cmd, "--connect", connect, "--listen", socket, ...proxyFlags], {
      cwd: ROOT,
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
      env: command.env ? { ...process.env, ...command.env } : undefined,
    }),
  );
  const log = drainTail(proc.stderr);
  const deadline = spawnedAt + 15_000;
  while (!existsSync(socket)) {
    if (proc.exitCode !== null || performance.now() > deadline) {
      proc.kill("SIGKILL");
      await proc.exited;
      throw new Error(`proxy did not start (exit ${proc.exitCode}): ${log()}`);
    }
    await Bun.sleep(1);
  }
  return { proc, socket, readyMs: performance.now() - spawnedAt, spawnedAt, log };
}

/** utime+stime of a process in seconds, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the `(comm)` part: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** VmRSS and VmHWM (peak) of a process in MB, from /proc/PID/status. */
export function memoryMB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

// USER_HZ is 100 on every Linux the project targets; `getconf CLK_TCK` confirms it.
const CLOCK_TICKS = (() => {
  try {
    const out = Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim();
    return Number(out) || 100;
  } catch {
    return 100;
  }
})();

/** Builds the bundle and the compiled binary from src/ as scripts/build.ts does, into `dir` (only those `forms` need). */
export async function buildArtifacts(
  dir: string,
  forms: readonly Form[] = FORMS,
): Promise<Artifacts & { bundleMB: number; compiledMB: number; seconds: number }> {
  const t0 = performance.now();
  const bundle = join(dir, "criproxy.js");
  const compiled = join(dir, "criproxy");
  const run = async (args: string[]) => {
    const p = Bun.spawn([process.execPath, "build", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([
      new Response(p.stdout).text(),
      new Response(p.stderr).text(),
      p.exited,
    ]);
    if (code !== 0) throw new Error(`bun build ${args.join(" ")} failed:\n${out}${err}`);
  };
  await Promise.all([
    forms.includes("bundle") && run(["--target=bun", "--minify", "src/cli/main.ts", "--outfile", bundle]),
    forms.includes("compiled") && run(["--compile", ...COMPILE_FLAGS, "src/cli/main.ts", "--outfile", compiled]),
  ]);
  return {
    bundle,
    compiled,
    bundleMB: forms.includes("bundle") ? Bun.file(bundle).size / 1e6 : NaN,
    compiledMB: forms.includes("compiled") ? Bun.file(compiled).size / 1e6 : NaN,
    seconds: (performance.now() - t0) / 1000,
  };
}
