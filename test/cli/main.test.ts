// The command line as a user meets it: exit codes and one-line errors.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { waitFor } from "../support/wait.ts";
import { parseArgs } from "citty";
import { serveArgs } from "../../src/cli/serve.ts";
import { givenFlags, loadConfig } from "../../src/config/config-file.ts";
import { cliEntry, startProxy, tempDir } from "../support/proxy-process.ts";

async function run(...args: string[]) {
  const p = Bun.spawn([process.execPath, cliEntry, ...args], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code, out, err };
}

describe("bad flags: one line naming the flag, exit code 2", () => {
  test.each([
    [["--bogus", "1"], "--bogus"],
    [["-v", "9"], "--v"],
    [["--connect", "vm:/x.sock"], "--connect"],
    [["--connect-timeout", "later"], "--connect-timeout"],
    [["--connect", "/a.sock,vm:/b.sock?api=v2"], "--connect"],
  ])("%j", async (args, flag) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain(flag);
  });
});

test("criproxy version names the CRI API it was generated from", async () => {
  const r = await run("version");
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^criproxy \d+\.\d+\.\d+\nCRI API runtime\.v1 \(k8s\.io\/cri-api v0\.36\.3\)\n$/);
});

test("criproxy --help explains every serve flag with an example", async () => {
  const r = await run("--help");
  for (const flag of [
    "--listen",
    "--connect",
    "--v",
    "--connect-timeout",
    "--request-timeout",
    "--stale-grace",
    "--runtime-handler",
    "--stream-url",
  ]) {
    expect(r.out).toContain(flag);
  }
  expect(r.out.match(/Example:/g)?.length).toBeGreaterThanOrEqual(8);
});

// citty keeps only the last value of a repeated flag; the command line must keep them all.
describe("repeatable flags, through the real command line", () => {
  const dir = tempDir("criproxy-cli-");
  afterAll(() => dir.remove());
  let n = 0;
  const listen = () => join(dir.dir, `p${n++}.sock`);

  /** Runs criproxy; a proxy that starts serving is stopped after its first log line and counts as exit "served". */
  async function runBounded(args: string[]) {
    const p = Bun.spawn([process.execPath, cliEntry, "--listen", listen(), ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => p.kill("SIGTERM"), 3000);
    const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
    clearTimeout(timer);
    return { code, err };
  }

  test.each([
    ["the bad one first", ["--runtime-handler", "a=nosuch", "--runtime-handler", "b=vm"]],
    ["the bad one last", ["--runtime-handler", "b=vm", "--runtime-handler", "a=nosuch"]],
    ["--flag=value spelling", ["--runtime-handler=b=vm", "--runtime-handler=a=nosuch"]],
  ])("--runtime-handler: every occurrence is checked (%s)", async (_, handlers) => {
    const r = await runBounded([
      "--connect",
      `${join(dir.dir, "none.sock")},vm:${join(dir.dir, "vm.sock")}`,
      ...handlers,
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--runtime-handler");
    expect(r.err).toContain('"nosuch"');
  });

  test.each([
    [
      "--connect",
      ["--connect", "/run/p.sock", "--connect", "vm:/run/vm.sock", "--connect", "gpu:unix:///run/gpu.sock"],
    ],
    ["the original -connect", ["-connect", "/run/p.sock", "-connect=vm:/run/vm.sock,gpu:unix:///run/gpu.sock"]],
  ])("%s: every occurrence adds runtimes, the first is the primary", async (_, connect) => {
    const proxy = await startProxy([...connect, "--runtime-handler", "k=vm", "--runtime-handler", "g=gpu"], {
      socket: listen(),
    });
    try {
      await waitFor(() => proxy.log().includes("criproxy serving on"), 5000, "the serving line");
      expect(proxy.log()).toContain("primary unix:///run/p.sock, vm unix:///run/vm.sock, gpu unix:///run/gpu.sock");
    } finally {
      await proxy.stop();
    }
  });
});

test("citty's parser hands --connect with ?api= to the configuration intact", () => {
  const args = parseArgs(["--connect", "unix:///run/c.sock,vm:unix:///run/vm.sock?api=v1alpha2"], serveArgs);
  expect(loadConfig(givenFlags(args as Record<string, unknown>)).backends).toEqual([
    { name: "", socket: "/run/c.sock" },
    { name: "vm", socket: "/run/vm.sock", api: "v1alpha2" },
  ]);
});
