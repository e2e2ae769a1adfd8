// kubelet's own gRPC library as a test client: test/support/grpc-go/main.go, built with
// Debian's golang-go and golang-google-grpc-dev (GOPATH mode, offline).
import { join } from "node:path";
import { goBuild } from "./go-build.ts";

export interface GoCall {
  method: string;
  /** Base64 request bytes. */
  request?: string;
  repeat?: number;
  parallel?: number;
  stream?: boolean;
}

export interface GoResult {
  method: string;
  code: number;
  message: string;
  /** Base64 of each distinct answer (or stream message). */
  answers: string[] | null;
  calls: number;
  failed: number;
}

/** Builds the grpc-go client once (callers skip first: `missing("grpc-go")`). */
export async function grpcGoClient(): Promise<(socket: string, calls: GoCall[], authority?: string) => Promise<GoResult[]>> {
  const binary = await goBuild(join(import.meta.dir, "grpc-go"), "criclient");
  return async (socket, calls, authority) => {
    const args = ["-socket", socket, "-calls", JSON.stringify(calls), ...(authority ? ["-authority", authority] : [])];
    const p = Bun.spawn([binary, ...args], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`grpc-go client exited ${code}: ${err}`);
    return out.trim().split("\n").map((l) => JSON.parse(l) as GoResult);
  };
}
