// kubelet's own gRPC library as a test client: test/support/grpc-go/main.go, built with
// Debian's golang-go and golang-google-grpc-dev (GOPATH mode, offline).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { goBuild } from "./go-build.ts";

export interface GoCall {
  method: string;
  /** Base64 request bytes. */
  request?: string;
  repeat?: number;
  parallel?: number;
  stream?: boolean;
  /** Metadata sent with each call. */
  metadata?: Record<string, string>;
  /** Each call's deadline (default 10 s). */
  timeoutMs?: number;
}

export interface GoResult {
  method: string;
  code: number;
  message: string;
  /** Base64 of each distinct answer (or stream message). */
  answers: string[] | null;
  calls: number;
  failed: number;
  /** The answer's header and trailer metadata, as grpc-go hands them to the application (the last call's). */
  headers?: Record<string, string[]> | null;
  trailers?: Record<string, string[]> | null;
}

/** Builds the grpc-go client once (callers skip first: `missing("grpc-go")`). */
export async function grpcGoClient(): Promise<
  (socket: string, calls: GoCall[], authority?: string, userAgent?: string) => Promise<GoResult[]>
> {
  const binary = await goBuild(join(import.meta.dir, "grpc-go"), "criclient");
  return async (socket, calls, authority, userAgent) => {
    // Large requests do not fit on a command line: the calls go in a file then.
    const json = JSON.stringify(calls);
    const dir = json.length > 64 * 1024 ? mkdtempSync(join(tmpdir(), "criproxy-gocalls-")) : undefined;
    if (dir) writeFileSync(join(dir, "calls.json"), json);
    try {
      const args = [
        "-socket",
        socket,
        "-calls",
        dir ? `@${join(dir, "calls.json")}` : json,
        ...(authority ? ["-authority", authority] : []),
        ...(userAgent ? ["-user-agent", userAgent] : []),
      ];
      const p = Bun.spawn([binary, ...args], { stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
        p.exited,
      ]);
      if (code !== 0) throw new Error(`grpc-go client exited ${code}: ${err}`);
      return out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as GoResult);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  };
}
