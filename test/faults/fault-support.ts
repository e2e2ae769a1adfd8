// Runtimes as child processes that fault tests kill and restart, and /proc readings of the proxy.
import { spawn, type Subprocess } from "bun";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ParsedFamily } from "../ops/prom-text.ts";
import { sumOf, valueOf } from "../ops/prom-text.ts";

const MAIN = join(import.meta.dir, "fake-runtime-main.ts");

export interface RuntimeProcess {
  readonly socket: string;
  /** Starts it (again); resolves when it serves. */
  start(): Promise<void>;
  /** Kills it (SIGKILL by default) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly running: boolean;
  /** Calls of `method` it has received since it last started. */
  calls(method: string): number;
}

/** A fake runtime process on `socket` whose pods keep their ids across restarts. */
export function runtimeProcess(opts: {
  socket: string;
  seed: string;
  pods?: number;
  containersPerPod?: number;
  delays?: Record<string, number>;
}): RuntimeProcess {
  let proc: Subprocess<"ignore", "pipe", "inherit"> | undefined;
  let received: string[] = [];
  const args = [
    "--socket",
    opts.socket,
    "--seed",
    opts.seed,
    "--pods",
    String(opts.pods ?? 0),
    "--containers-per-pod",
    String(opts.containersPerPod ?? 2),
  ];
  for (const [method, ms] of Object.entries(opts.delays ?? {})) args.push("--delay", `${method}=${ms}`);
  return {
    socket: opts.socket,
    get running() {
      return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
    },
    async start() {
      const p = spawn([process.execPath, MAIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
      proc = p;
      const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
      const reader = p.stdout.getReader();
      const lines: string[] = [];
      received = lines;
      let text = "";
      let ready = false;
      // Read for as long as it runs: `call METHOD` lines are what tests wait on.
      const read = async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += new TextDecoder().decode(value);
          const cut = text.lastIndexOf("\n");
          if (cut < 0) continue;
          for (const line of text.slice(0, cut).split("\n")) {
            if (line === `ready ${opts.socket}`) ready = true;
            else if (line.startsWith("call ")) lines.push(line.slice(5));
          }
          text = text.slice(cut + 1);
          if (ready) onReady?.();
        }
      };
      let onReady: (() => void) | undefined;
      const readyNow = new Promise<void>((resolve) => (onReady = resolve));
      const ended = read();
      try {
        await Promise.race([
          readyNow,
          ended.then(async () => {
            if (!ready) throw new Error(`fake runtime ${opts.socket} exited before ready (code ${await p.exited})`);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    calls: (method) => received.filter((m) => m === method).length,
    async kill(signal = "SIGKILL") {
      if (!proc) return;
      proc.kill(signal);
      await proc.exited;
    },
  };
}

/** Open file descriptors of a process. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident memory of a process, in bytes. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** What the proxy counted by the end of a soak (a /metrics scrape). */
export function soakCounts(m: Map<string, ParsedFamily>) {
  return {
    calls: sumOf(m, "criproxy_calls_total"),
    unavailableVm: sumOf(m, "criproxy_calls_total", { backend: "vm", code: "Unavailable" }),
    canceled: sumOf(m, "criproxy_calls_total", { code: "Canceled" }),
    vmReconnects: valueOf(m, "criproxy_backend_reconnects_total", { backend: "vm" }),
    staleListAnswers: valueOf(m, "criproxy_stale_list_answers_total"),
    eventsStreamed: valueOf(m, "criproxy_events_streamed_total"),
    processOpenFds: valueOf(m, "process_open_fds"),
  };
}
