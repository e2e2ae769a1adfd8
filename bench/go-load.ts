// The grpc-go load client (bench/grpc-go-load/main.go) as a BenchClient: one process and one
// connection per target, driven by JSON commands so rounds interleave and CPU is read around
// each one. Built once per run from Debian's grpc-go (test/support/go-build.ts).
import type { Subprocess } from "bun";
import { join } from "node:path";
import { goBuild } from "../test/support/go-build.ts";
import type { BenchClient, PreparedCall, RoundResult } from "./client.ts";
import { drainTail, track } from "./procs.ts";

interface Report {
  calls: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  latenciesUs?: number[];
  answer?: string;
  error?: string;
}

/** Builds the load client (needs Go and golang-google-grpc-dev). */
export function buildGoLoad(): Promise<string> {
  return goBuild(join(import.meta.dir, "grpc-go-load"), "grpc-go-load");
}

/** A grpc-go client on `socket`: `localhost` as :authority, or the raw socket path as grpc-go < 1.58 sends it. */
export async function goLoadClient(socket: string, opts: { rawAuthority?: boolean } = {}): Promise<BenchClient> {
  const binary = await buildGoLoad();
  const proc = track(
    Bun.spawn([binary, "-socket", socket, ...(opts.rawAuthority ? ["-raw-authority"] : [])], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    }),
  );
  return new GoLoadClient(proc as Subprocess<"pipe", "pipe", "pipe">);
}

class GoLoadClient implements BenchClient {
  private readonly lines: AsyncIterator<string>;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: () => string;

  constructor(private readonly proc: Subprocess<"pipe", "pipe", "pipe">) {
    this.lines = readLines(proc.stdout)[Symbol.asyncIterator]();
    this.log = drainTail(proc.stderr);
  }

  /** Sends one command and reads its one line; commands run one at a time, in order. */
  private send(command: object): Promise<Report> {
    const next = this.queue.then(async () => {
      this.proc.stdin.write(`${JSON.stringify(command)}\n`);
      await this.proc.stdin.flush();
      const { value, done } = await this.lines.next();
      if (done) {
        const code = await this.proc.exited;
        await Bun.sleep(20); // the rest of stderr
        throw new Error(`grpc-go load client exited (${code}): ${this.log()}`);
      }
      const report = JSON.parse(value) as Report;
      if (report.error) throw new Error(`grpc-go load client: ${report.error}`);
      return report;
    });
    this.queue = next.catch(() => {});
    return next;
  }

  async call(c: PreparedCall): Promise<Buffer> {
    const r = await this.send({ op: "call", method: c.path, request: c.request.toString("base64") });
    if (r.errors) throw new Error(r.firstError);
    return Buffer.from(r.answer ?? "", "base64");
  }

  async round(c: PreparedCall, concurrency: number, durationMs: number): Promise<RoundResult> {
    const r = await this.send({
      op: "round",
      method: c.path,
      request: c.request.toString("base64"),
      conc: concurrency,
      ms: durationMs,
      latencies: true,
    });
    return {
      calls: r.calls,
      errors: r.errors,
      elapsedMs: r.elapsedMs,
      latenciesMs: (r.latenciesUs ?? []).map((us) => us / 1000),
      firstError: r.firstError,
    };
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill("SIGTERM");
  }
}

/** The lines of a byte stream. */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
}
