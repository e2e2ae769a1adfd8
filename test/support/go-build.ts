// Building Go programs against Debian's grpc-go (golang-google-grpc-dev), GOPATH mode, offline:
// the grpc-go test client, the grpc-go runtime and the bench's load client.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { whyMissing } from "./requires.ts";

const GOPATH = "/usr/share/gocode";
const built = new Map<string, Promise<string>>();
const outDirs: string[] = [];
process.on("exit", () => {
  for (const d of outDirs) rmSync(d, { recursive: true, force: true });
});

/** Builds the Go `main` package in `dir` once per process; resolves with the binary's path. */
export function goBuild(dir: string, name: string): Promise<string> {
  let p = built.get(dir);
  if (!p) {
    p = build(dir, name);
    built.set(dir, p);
    p.catch(() => built.delete(dir));
  }
  return p;
}

async function build(dir: string, name: string): Promise<string> {
  const why = whyMissing("grpc-go");
  if (why) throw new Error(why);
  const outDir = mkdtempSync(join(tmpdir(), "criproxy-go-"));
  outDirs.push(outDir);
  const out = join(outDir, name);
  const env = { ...process.env, GO111MODULE: "off", GOPATH, GOCACHE: join(tmpdir(), "criproxy-go-cache") };
  const p = Bun.spawn(["go", "build", "-o", out, "."], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`go build in ${dir} failed: ${err}`);
  return out;
}
