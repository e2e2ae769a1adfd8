// The command line as a user meets it: exit codes and one-line errors.
import { describe, expect, test } from "bun:test";
import { parseArgs } from "citty";
import { serveArgs } from "../../src/cli/serve.ts";
import { givenFlags, loadConfig } from "../../src/config/config-file.ts";
import { cliEntry } from "../support/proxy-process.ts";

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
  for (const flag of ["--listen", "--connect", "--v", "--connect-timeout", "--request-timeout", "--stale-grace", "--runtime-handler", "--stream-url"]) {
    expect(r.out).toContain(flag);
  }
  expect(r.out.match(/Example:/g)?.length).toBeGreaterThanOrEqual(8);
});

test("citty's parser hands --connect with ?api= to the configuration intact", () => {
  const args = parseArgs(["--connect", "unix:///run/c.sock,vm:unix:///run/vm.sock?api=v1alpha2"], serveArgs);
  expect(loadConfig(givenFlags(args as Record<string, unknown>)).backends).toEqual([
    { name: "", socket: "/run/c.sock" },
    { name: "vm", socket: "/run/vm.sock", api: "v1alpha2" },
  ]);
});
