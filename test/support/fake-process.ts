// The fake runtime as a child process (test/fake/main.ts), for benchmarks and kill tests.
import { spawn, type Subprocess } from "bun";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../fake/main.ts", import.meta.url));
const READY_TIMEOUT_MS = 10_000;

export interface FakeProcess {
  readonly socket: string;
  readonly proc: Subprocess<"ignore", "pipe", "inherit">;
  /** Send a signal (default SIGTERM) and wait for the exit code. */
  kill(signal?: NodeJS.Signals): Promise<number>;
}

export interface FakeProcessOptions {
  socket: string;
  pods?: number;
  containersPerPod?: number;
  name?: string;
  images?: number;
  handlers?: string[];
}

/** Spawn `bun test/fake/main.ts` and resolve once it prints `ready SOCKET`. */
export async function spawnFakeProcess(opts: FakeProcessOptions): Promise<FakeProcess> {
  const args = ["--socket", opts.socket];
  if (opts.pods !== undefined) args.push("--pods", String(opts.pods));
  if (opts.containersPerPod !== undefined) args.push("--containers-per-pod", String(opts.containersPerPod));
  if (opts.name !== undefined) args.push("--name", opts.name);
  if (opts.images !== undefined) args.push("--images", String(opts.images));
  if (opts.handlers !== undefined) args.push("--handlers", opts.handlers.join(","));
  const proc = spawn([process.execPath, MAIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const kill = async (signal: NodeJS.Signals = "SIGTERM") => {
    proc.kill(signal);
    return proc.exited;
  };
  const reader = proc.stdout.getReader();
  const timer = setTimeout(() => proc.kill("SIGKILL"), READY_TIMEOUT_MS);
  try {
    let text = "";
    while (!text.includes(`ready ${opts.socket}`)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`fake runtime exited before ready (code ${await proc.exited})`);
      text += new TextDecoder().decode(value);
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return { socket: opts.socket, proc, kill };
}
