// A grpc-go server as the runtime (test/support/grpc-go-runtime/main.go): containerd's gRPC
// library answering pre-encoded bytes (grpc-go-runtime-answers.ts), for tests and the bench.
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { goBuild } from "./go-build.ts";
import { rawCall } from "./raw-http2.ts";
import { runtimeAnswers, type RuntimeAnswersOptions } from "./grpc-go-runtime-answers.ts";

const READY_TIMEOUT_MS = 15_000;

export interface GrpcGoRuntimeOptions extends RuntimeAnswersOptions {
  readonly socket: string;
  /** Answers to serve instead of (or beside) the generated ones, by gRPC path. */
  readonly answers?: ReadonlyMap<string, Uint8Array>;
  /** Answer a method it was not given with its own request (tests of large requests). */
  readonly echoUnknown?: boolean;
  /** Its limit on a message each way (containerd's: 16 MiB, the default). */
  readonly maxMessageBytes?: number;
  /** Serve every method through one handler that appends each call's method and metadata to this file (JSON lines), answering with header x-runtime and trailer x-runtime-trailer. */
  readonly record?: string;
  /** Called with the process as soon as it is spawned (the bench registers it for cleanup). */
  readonly onSpawn?: (proc: Subprocess) => void;
}

export interface GrpcGoRuntime {
  readonly socket: string;
  readonly name: string;
  readonly proc: Subprocess;
  /** The bytes it answers, by gRPC path. */
  readonly answers: ReadonlyMap<string, Uint8Array>;
  /** SIGTERM, SIGKILL after 3 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/** Builds the runtime once (needs Go and Debian's grpc-go: callers skip first: `missing("grpc-go")`). */
export function buildGrpcGoRuntime(): Promise<string> {
  return goBuild(join(import.meta.dir, "grpc-go-runtime"), "criruntime");
}

/** Starts a grpc-go runtime on `socket`; resolves once it answers Version. */
export async function startGrpcGoRuntime(opts: GrpcGoRuntimeOptions): Promise<GrpcGoRuntime> {
  const binary = await buildGrpcGoRuntime();
  const name = opts.name ?? "grpc-go";
  const answers = new Map([...runtimeAnswers({ ...opts, name }), ...(opts.answers ?? [])]);
  const dir = mkdtempSync(join(tmpdir(), "criproxy-gort-"));
  const args = [
    "-socket",
    opts.socket,
    "-name",
    name,
    ...(opts.echoUnknown ? ["-echo-unknown"] : []),
    ...(opts.maxMessageBytes ? ["-max-msg", String(opts.maxMessageBytes)] : []),
    ...(opts.record ? ["-record", opts.record] : []),
  ];
  for (const [i, [path, bytes]] of [...answers].entries()) {
    const file = join(dir, `${i}.bin`);
    writeFileSync(file, bytes);
    args.push("-answer", `${path}=${file}`);
  }
  const proc = Bun.spawn([binary, ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  opts.onSpawn?.(proc);
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await proc.exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const answer = await rawCall(opts.socket, "/runtime.v1.RuntimeService/Version", new Uint8Array()).catch(
      () => undefined,
    );
    if (answer?.status === "0") break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `grpc-go runtime ${name} did not answer (exit ${proc.exitCode}): ${await new Response(proc.stderr).text()}`,
      );
    }
    await Bun.sleep(10);
  }
  rmSync(dir, { recursive: true, force: true }); // read at start: the runtime holds its answers now
  return { socket: opts.socket, name, proc, answers, stop };
}
