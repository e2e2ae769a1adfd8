// h2spec against criproxy (its built-in fake runtime behind it), stock and in gRPC mode
// (H2SPEC_GRPC=1: every request a gRPC POST), through socat (h2spec speaks TCP only):
//   bun test/conformance/h2spec.ts [--kit ../shared/conformance/h2spec] [--entry src/cli/main.ts] [--verbose]
// Builds h2spec from the kit with Debian's Go (plus test/conformance/h2spec-main: the kit ships no
// cmd/), prints each mode's failed cases and one line `N passed, N failed`; exits 1 on a failure
// not listed in EXPECTED_FAILURES.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { startProxy } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";

/** Cases criproxy fails on purpose, with why (h2spec's own ids). Empty: every case passes. */
export const EXPECTED_FAILURES: Record<string, string> = {};

const root = resolve(import.meta.dir, "../..");
const { values } = parseArgs({
  options: {
    kit: { type: "string", default: join(root, "../shared/conformance/h2spec") },
    entry: { type: "string" },
    verbose: { type: "boolean", default: false },
  },
});

const work = mkdtempSync(join(tmpdir(), "criproxy-h2spec-"));
const cleanups: (() => unknown)[] = [() => rmSync(work, { recursive: true, force: true })];
try {
  const binary = build(values.kit!, work);
  const fake = await startFakeRuntime({ socket: tempSocket("h2spec-rt") });
  cleanups.push(() => fake.stop());
  const proxy = await startProxy(["--connect", fake.socket], values.entry ? { entry: resolve(values.entry) } : {});
  cleanups.push(() => proxy.stop());
  const port = 20000 + Math.floor(Math.random() * 20000);
  const socat = spawn("socat", [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${proxy.socket}`], {
    stdio: "ignore",
  });
  cleanups.push(() => socat.kill("SIGTERM"));
  await waitForPort(port);
  let passed = 0;
  let failed = 0;
  let unexpected = 0;
  for (const grpc of [false, true]) {
    const mode = grpc ? "gRPC" : "stock";
    const out = await run(binary, port, grpc);
    const summary = /(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed/.exec(out);
    if (!summary) throw new Error(`h2spec (${mode}) printed no summary:\n${out}`);
    const failures = failedCases(out);
    console.log(`h2spec ${mode}: ${summary[0]}`);
    for (const f of failures)
      console.log(
        `  ${EXPECTED_FAILURES[f.id] ? "expected" : "FAILED"} ${f.id} ${f.title}${EXPECTED_FAILURES[f.id] ? ` (${EXPECTED_FAILURES[f.id]})` : ""}`,
      );
    if (values.verbose) console.log(out);
    passed += Number(summary[2]);
    failed += Number(summary[4]);
    unexpected += failures.filter((f) => !EXPECTED_FAILURES[f.id]).length;
  }
  console.log(`${passed} passed, ${unexpected} failed`);
  process.exitCode = unexpected > 0 ? 1 : 0;
  void failed;
} finally {
  for (const c of cleanups.reverse()) await c();
}

function build(kit: string, dir: string): string {
  const src = join(dir, "go/src/github.com/summerwind/h2spec");
  mkdirSync(join(dir, "go/src/github.com/summerwind"), { recursive: true });
  cpSync(join(kit, "src"), src, { recursive: true });
  mkdirSync(join(src, "cmd/h2spec"), { recursive: true });
  cpSync(join(import.meta.dir, "h2spec-main/main.go"), join(src, "cmd/h2spec/main.go"));
  const env = {
    ...process.env,
    GOPATH: `${join(dir, "go")}:/usr/share/gocode`,
    GO111MODULE: "off",
    GOFLAGS: "",
    GOCACHE: join(tmpdir(), "criproxy-go-cache"),
  };
  const p = Bun.spawnSync(["go", "build", "-o", join(dir, "h2spec"), "./cmd/h2spec"], {
    cwd: src,
    env,
    stderr: "pipe",
  });
  if (p.exitCode !== 0)
    throw new Error(
      `building h2spec failed (needs golang-go golang-golang-x-net-dev golang-github-fatih-color-dev):\n${p.stderr}`,
    );
  return join(dir, "h2spec");
}

async function run(binary: string, port: number, grpc: boolean): Promise<string> {
  const env = { ...process.env, NO_COLOR: "1", ...(grpc ? { H2SPEC_GRPC: "1" } : {}) };
  const p = Bun.spawn(
    [binary, "-h", "127.0.0.1", "-p", String(port), "-P", "/runtime.v1.RuntimeService/Version", "-o", "2"],
    { env, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the terminal colour codes taken out
  return (out + err).replace(/\x1b\[[0-9;]*m/g, "");
}

/** The failed cases from h2spec's closing "Failures:" list, as h2spec names them ("http2/5.1/2"), with their titles. */
function failedCases(out: string): { id: string; title: string }[] {
  if (!out.includes("Failures:")) return [];
  const found: { id: string; title: string }[] = [];
  let group = "";
  let section = "";
  for (const line of out.slice(out.indexOf("Failures:")).split("\n")) {
    const c = /^\s*(?:×\s*)?(\d+): (.*)$/.exec(line);
    const s = /^\s*(\d+(?:\.\d+)*)\.? \S/.exec(line);
    if (c) found.push({ id: `${group}/${section}/${c[1]}`, title: c[2].trim() });
    else if (s) section = s[1];
    else if (/^Generic tests/.test(line)) group = "generic";
    else if (/^Hypertext Transfer Protocol/.test(line)) group = "http2";
    else if (/^HPACK/.test(line)) group = "hpack";
  }
  return found;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data() {},
        open(s) {
          s.end();
        },
      },
    }).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(20);
  }
  throw new Error(`socat did not listen on ${port}`);
}
