// Every value install writes into criproxy.service or kubelet's files is checked: systemd splits
// ExecStart= at whitespace and expands %-specifiers and $VARIABLES, so such a value is refused
// with the flag's name, before anything is written.
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { checkArgs, checkEndpointValue, checkSocketPath } from "../../src/install/unit-value.ts";
import { KUBEADM_CONFIG, fingerprint, writeHostRoot } from "./fake-host.ts";

/** Runs the CLI's install on a fresh fake host root; returns the exit code, stderr, and whether the root changed. */
function install(args: readonly string[]): { code: number; stderr: string; changed: boolean } {
  const root = writeHostRoot(KUBEADM_CONFIG);
  const start = fingerprint(root);
  const r = Bun.spawnSync(
    [process.execPath, "src/cli/main.ts", "install", `--host-root=${root}`, "--binary=package.json", ...args],
    {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, CRIPROXY_CONNECT: "", CRIPROXY_SERVE_ARGS: "" },
    },
  );
  const changed = JSON.stringify(fingerprint(root)) !== JSON.stringify(start);
  rmSync(root, { recursive: true, force: true });
  return { code: r.exitCode ?? -1, stderr: r.stderr.toString(), changed };
}

describe("install refuses a value systemd would split or expand, naming the flag", () => {
  test.each([
    {
      desc: "--listen with a space, %h and $HOME",
      args: ["--listen", "/run/a b%h$HOME.sock"],
      error: '--listen "/run/a b%h$HOME.sock" contains whitespace',
    },
    {
      desc: "--listen with a specifier",
      args: ["--listen", "/run/%h.sock"],
      error: '--listen "/run/%h.sock" contains "%"',
    },
    { desc: "--listen relative", args: ["--listen", "run/criproxy.sock"], error: "is not an absolute path" },
    { desc: "--listen with ..", args: ["--listen", "/run/../etc/x.sock"], error: "is not a normal path" },
    {
      desc: "--listen with a newline",
      args: ["--listen", "/run/x\nExecStartPre=/bin/sh"],
      error: "contains a control character (U+000A)",
    },
    {
      desc: "--primary with $",
      args: ["--primary", "unix:///run/$X.sock"],
      error: '--primary "unix:///run/$X.sock" contains "$"',
    },
    {
      desc: "--serve-args with $HOME",
      args: ["--serve-args", "-v $HOME"],
      error: '--serve-args: argument "$HOME" contains "$"',
    },
    { desc: "--serve-args with a quote", args: ["--serve-args", '-v "3'], error: "--serve-args: argument" },
    {
      desc: "--connect with %",
      args: ["--connect", "vm:/run/%i.sock"],
      error: '--connect "vm:/run/%i.sock": endpoint "/run/%i.sock" contains "%"',
    },
    {
      desc: "--connect with a control character",
      args: ["--connect", "vm:/run/v\u0001m.sock"],
      error: "contains a control character (U+0001)",
    },
  ])("$desc", ({ args, error }) => {
    const r = install(args);
    expect(r.stderr).toContain(error);
    expect(r.code).toBe(2);
    expect(r.changed).toBe(false);
  });

  test("a plain value is written as given", () => {
    const r = install([
      "--listen",
      "/run/criproxy-2/cri.sock",
      "--serve-args",
      "-v 3 --metrics-addr [::1]:9102 --runtime-handler kata=vm:kata-qemu",
      "--dry-run",
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
  });
});

describe("the checks, row by row", () => {
  test.each([
    { value: "/run/criproxy/criproxy.sock", ok: true },
    { value: "/var/run/vm-runtime/cri.sock", ok: true },
    { value: "/run/a\tb.sock", ok: false },
    { value: "/run/a;b.sock", ok: false },
    { value: "/run/a'b.sock", ok: false },
    { value: "/run/a\\b.sock", ok: false },
    { value: "/run//a.sock", ok: false },
    { value: "/run/a.sock/", ok: false },
    { value: `/run/${"x".repeat(120)}.sock`, ok: false },
  ])("socket path $value -> $ok", ({ value, ok }) => expect(checkSocketPath("--listen", value) === undefined).toBe(ok));

  test.each([
    { value: "unix:///run/containerd/containerd.sock", ok: true },
    { value: "/run/crio/crio.sock", ok: true },
    { value: "tcp://10.0.0.1:1234", ok: false },
    { value: "unix://run/x.sock", ok: false },
    { value: "unix:///run/x y.sock", ok: false },
  ])("endpoint $value -> $ok", ({ value, ok }) =>
    expect(checkEndpointValue("--primary", value) === undefined).toBe(ok),
  );

  test("serve-args: every argument checked", () => {
    expect(checkArgs("--serve-args", ["-v", "2", "--socket-group", "kubelet"])).toBeUndefined();
    expect(checkArgs("--serve-args", ["--config", "/etc/criproxy/c.yaml;rm"])?.message).toContain('contains ";"');
  });
});
