// --config FILE: YAML or TOML with the flags' settings, flags over the file, errors naming the
// file and the key, writable-by-others files refused (each refusal: test/config/config-trust.test.ts); --metrics-addr and --socket-group values.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigFileError, flagsFromText, loadConfig } from "../../src/config/config-file.ts";
import { parseMetricsAddr } from "../../src/config/metrics-addr.ts";
import { gidFrom } from "../../src/config/socket-group.ts";
import { cliEntry, tempDir } from "../support/proxy-process.ts";

const tmp = tempDir("criproxy-cfg-");
afterAll(() => tmp.remove());
let n = 0;
/** Writes a config file (mode 0644 unless told) and returns its path. */
function file(ext: string, text: string, mode = 0o644): string {
  const path = join(tmp.dir, `c${++n}.${ext}`);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

const yaml = `
listen: /run/p.sock
backends:
  - endpoint: unix:///run/containerd/containerd.sock
  - name: vm
    endpoint: /run/vm.sock
    handlers:
      kata: kata-qemu
      gvisor: ""
connect-timeout: 2s
request-timeout: 90
stale-grace: 10m
v: 3
metrics-addr: 127.0.0.1:9102
socket-group: "0"
log-format: json
`;

const toml = `
listen = "/run/p.sock"
connect-timeout = "2s"
request-timeout = 90
stale-grace = "10m"
v = 3
metrics-addr = "127.0.0.1:9102"
socket-group = "0"
log-format = "json"

[[backends]]
endpoint = "unix:///run/containerd/containerd.sock"

[[backends]]
name = "vm"
endpoint = "/run/vm.sock"
handlers = { kata = "kata-qemu", gvisor = "" }
`;

describe("a config file says what the flags say", () => {
  test.each([
    { desc: "YAML", ext: "yaml", text: yaml },
    { desc: "TOML", ext: "toml", text: toml },
  ])("$desc", ({ ext, text }) => {
    const path = file(ext, text);
    const c = loadConfig({ config: path });
    expect(c).toMatchObject({
      listen: "/run/p.sock",
      backends: [
        { name: "", socket: "/run/containerd/containerd.sock" },
        { name: "vm", socket: "/run/vm.sock" },
      ],
      handlers: [
        { handler: "kata", backend: "vm", backendHandler: "kata-qemu" },
        { handler: "gvisor", backend: "vm", backendHandler: "" },
      ],
      connectTimeoutMs: 2000,
      requestTimeoutMs: 90_000,
      staleGraceMs: 600_000,
      verbosity: 3,
      metricsAddr: { host: "127.0.0.1", port: 9102, loopback: true },
      socketGroup: "0",
      logFormat: "json",
      configFile: path,
    });
  });

  test("flags given on the command line override the file; the rest comes from it", () => {
    const c = loadConfig({ config: file("yaml", yaml), v: "1", connect: "/a.sock,vm:/b.sock", "stale-grace": "1m" });
    expect(c.verbosity).toBe(1);
    expect(c.staleGraceMs).toBe(60_000);
    expect(c.backends.map((b) => b.socket)).toEqual(["/a.sock", "/b.sock"]);
    expect(c.handlers.length).toBe(2); // the file's claims still apply to vm
    expect(c.listen).toBe("/run/p.sock");
  });

  test.each([
    {
      desc: "YAML",
      ext: "yaml",
      text: "backends:\n  - endpoint: /run/c.sock\n    api: v1alpha2\n  - name: vm\n    endpoint: unix:///run/vm.sock\n    api: v1alpha2\n  - name: gpu\n    endpoint: /run/g.sock\n",
    },
    {
      desc: "TOML",
      ext: "toml",
      text: '[[backends]]\nendpoint = "/run/c.sock"\napi = "v1alpha2"\n[[backends]]\nname = "vm"\nendpoint = "unix:///run/vm.sock"\napi = "v1alpha2"\n[[backends]]\nname = "gpu"\nendpoint = "/run/g.sock"\n',
    },
  ])("api: forces a runtime's CRI API ($desc); a runtime without it is probed", ({ ext, text }) => {
    expect(loadConfig({ config: file(ext, text) }).backends).toEqual([
      { name: "", socket: "/run/c.sock", api: "v1alpha2" },
      { name: "vm", socket: "/run/vm.sock", api: "v1alpha2" },
      { name: "gpu", socket: "/run/g.sock" },
    ]);
  });

  test("an empty file is the defaults", () => {
    expect(loadConfig({ config: file("yaml", "") })).toMatchObject({
      listen: "/run/criproxy.sock",
      verbosity: 0,
      logFormat: "text",
    });
  });
});

describe("a config file that cannot be used is refused, naming the file and the setting", () => {
  test.each([
    { desc: "an unknown extension", ext: "json", text: "{}", error: 'unknown extension ".json"' },
    { desc: "YAML that does not parse", ext: "yaml", text: "listen: [", error: "not valid YAML" },
    { desc: "TOML that does not parse", ext: "toml", text: "listen = = 1", error: "not valid TOML" },
    { desc: "a list at the top", ext: "yaml", text: "- a", error: "top level must be a mapping" },
    { desc: "an unknown setting", ext: "yaml", text: "listn: /x", error: "listn: unknown setting" },
    { desc: "a bad duration", ext: "yaml", text: "stale-grace: soon", error: 'stale-grace: "soon" is not a duration' },
    { desc: "a bad level", ext: "toml", text: "v = 9", error: "v: " },
    {
      desc: "a named primary",
      ext: "yaml",
      text: "backends:\n  - name: x\n    endpoint: /a",
      error: "backends[0].name: the first backend is the primary",
    },
    {
      desc: "an unnamed second backend",
      ext: "yaml",
      text: "backends:\n  - endpoint: /a\n  - endpoint: /b",
      error: "backends[1].name: every backend after the primary needs a name",
    },
    { desc: "a relative endpoint", ext: "yaml", text: "backends:\n  - endpoint: run/a.sock", error: "backends: " },
    {
      desc: "handlers on the primary",
      ext: "yaml",
      text: "backends:\n  - endpoint: /a\n    handlers: { x: y }",
      error: "backends[0].handlers",
    },
    { desc: "a metrics address without a host", ext: "yaml", text: 'metrics-addr: ":9102"', error: "metrics-addr: " },
    {
      desc: "an unknown log format",
      ext: "yaml",
      text: "log-format: xml",
      error: 'log-format: "xml" is not text or json',
    },
    {
      desc: "an unknown socket group",
      ext: "yaml",
      text: "socket-group: no-such-group-here",
      error: "socket-group: group",
    },
    {
      desc: "an unknown CRI API",
      ext: "yaml",
      text: "backends:\n  - endpoint: /a\n  - name: vm\n    endpoint: /b\n    api: v1beta1",
      error: 'backends[1].api: "v1beta1" is not one of v1, v1alpha2',
    },
    {
      desc: "an API given twice",
      ext: "yaml",
      text: "backends:\n  - endpoint: /a?api=v1\n    api: v1",
      error: "backends[0].api: given twice",
    },
  ])("$desc", ({ ext, text, error }) => {
    const path = file(ext, text);
    expect(() => loadConfig({ config: path })).toThrow(error);
    try {
      loadConfig({ config: path });
    } catch (e) {
      expect((e as Error).message).toContain(path);
    }
  });

  test("a world-writable file is refused, whatever it says", () => {
    const path = file("yaml", "v: 1\n", 0o666);
    expect(() => loadConfig({ config: path })).toThrow(
      `${path}: refusing it: ${path} is world-writable and group-writable (mode 0666)`,
    );
  });

  test("a missing file says so", () =>
    expect(() => loadConfig({ config: join(tmp.dir, "nope.yaml") })).toThrow("cannot open"));
  test("errors from the file are ConfigFileErrors", () =>
    expect(() => flagsFromText("x: 1", "yaml", "f.yaml")).toThrow(ConfigFileError));
});

describe("criproxy check-config FILE", () => {
  test("exit 0 and a summary for a good file", async () => {
    const run = Bun.spawn([process.execPath, cliEntry, "check-config", file("yaml", yaml)], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await run.exited).toBe(0);
    expect(await new Response(run.stdout).text()).toContain(
      "ok: listen /run/p.sock; primary unix:///run/containerd/containerd.sock, vm unix:///run/vm.sock",
    );
  });

  test("exit 1 and the reason for a bad one", async () => {
    const run = Bun.spawn([process.execPath, cliEntry, "check-config", file("yaml", "v: 1\n", 0o666)], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await run.exited).toBe(1);
    expect(await new Response(run.stderr).text()).toContain("world-writable");
  });
});

describe("--metrics-addr: the host is written out; loopback is recognised", () => {
  test.each([
    { text: "127.0.0.1:9102", expect: { host: "127.0.0.1", port: 9102, loopback: true } },
    { text: "localhost:0", expect: { host: "localhost", port: 0, loopback: true } },
    { text: "[::1]:9102", expect: { host: "::1", port: 9102, loopback: true } },
    { text: "10.0.0.5:9102", expect: { host: "10.0.0.5", port: 9102, loopback: false } },
    { text: "0.0.0.0:9102", expect: { host: "0.0.0.0", port: 9102, loopback: false } },
  ])("$text", ({ text, expect: want }) => expect(parseMetricsAddr(text)).toEqual(want));

  test.each([
    { text: ":9102", error: "has no host" },
    { text: "9102", error: "is not HOST:PORT" },
    { text: "127.0.0.1:70000", error: "is not a port" },
    { text: "[nope]:1", error: "not an IPv6 address" },
    { text: "a b:1", error: "not a host name" },
  ])("refuses $text", ({ text, error }) => expect(() => parseMetricsAddr(text)).toThrow(error));
});

describe("--socket-group: a gid, or a name from /etc/group", () => {
  const etc = "root:x:0:\nkubelet:x:995:alice\nbroken:x:\n";
  test.each([
    { group: "995", expect: 995 },
    { group: "kubelet", expect: 995 },
    { group: "root", expect: 0 },
  ])("$group -> $expect", ({ group, expect: want }) => expect(gidFrom(group, etc)).toBe(want));
  test("an unknown name is an error naming it", () =>
    expect(() => gidFrom("broken", etc)).toThrow('group "broken" is not in /etc/group'));
});
