// Flags to configuration: the original criproxy's spellings, names, handlers, bad values.
import { describe, expect, test } from "bun:test";
import { normalizeLegacyArgs } from "../../src/cli/legacy-args.ts";
import { configFromFlags, FlagError } from "../../src/config/config.ts";
import { parseDuration } from "../../src/config/duration.ts";
import { parseConnect, type BackendSpec } from "../../src/config/endpoints.ts";

describe("the original Go criproxy's flags keep working", () => {
  test.each<{ desc: string; argv: string[]; expect: string[] }>([
    {
      desc: "single-dash long flags",
      argv: ["-connect", "/a.sock", "-listen", "/b.sock"],
      expect: ["--connect", "/a.sock", "--listen", "/b.sock"],
    },
    { desc: "-v 3 and -v=3", argv: ["-v", "3", "-v=4"], expect: ["--v", "3", "--v", "4"] },
    {
      desc: "-logtostderr is accepted and dropped",
      argv: ["-logtostderr", "-alsologtostderr=true", "-v", "1"],
      expect: ["--v", "1"],
    },
    {
      desc: "-streamUrl and -streamPort",
      argv: ["-streamUrl", "http://n:1", "-streamPort=10010"],
      expect: ["--stream-url", "http://n:1", "--stream-port", "10010"],
    },
    {
      desc: "modern flags pass unchanged",
      argv: ["--connect-timeout", "1s", "demo"],
      expect: ["--connect-timeout", "1s", "demo"],
    },
  ])("$desc", ({ argv, expect: want }) => {
    expect(normalizeLegacyArgs(argv)).toEqual(want);
  });
});

describe("--connect", () => {
  test.each<{ desc: string; value: string; expect: BackendSpec[] }>([
    {
      desc: "a path",
      value: "/run/containerd/containerd.sock",
      expect: [{ name: "", socket: "/run/containerd/containerd.sock" }],
    },
    { desc: "a unix:// URL", value: "unix:///run/c.sock", expect: [{ name: "", socket: "/run/c.sock" }] },
    {
      desc: "named runtimes, dotted names, unix:// endpoints",
      value: "/run/c.sock,vm:unix:///run/vm.sock,virtlet.cloud:/run/v.sock",
      expect: [
        { name: "", socket: "/run/c.sock" },
        { name: "vm", socket: "/run/vm.sock" },
        { name: "virtlet.cloud", socket: "/run/v.sock" },
      ],
    },
    {
      desc: "?api= forces a runtime's CRI API (the primary's too); without it, the API is probed",
      value: "unix:///run/c.sock?api=v1,vm:unix:///run/vm.sock?api=v1alpha2,gpu:/run/g.sock",
      expect: [
        { name: "", socket: "/run/c.sock", api: "v1" },
        { name: "vm", socket: "/run/vm.sock", api: "v1alpha2" },
        { name: "gpu", socket: "/run/g.sock" },
      ],
    },
  ])("$desc", ({ value, expect: want }) => {
    expect(parseConnect(value)).toEqual(want);
  });

  test.each([
    { desc: "a named first entry", value: "vm:/run/vm.sock", error: "is the primary and takes no name" },
    { desc: "a duplicate name", value: "/a,vm:/b,vm:/c", error: 'runtime name "vm" is used twice' },
    { desc: "a name with __", value: "/a,v__m:/b", error: "is not a lowercase DNS-style name" },
    { desc: "an upper-case name", value: "/a,VM:/b", error: "is not a lowercase DNS-style name" },
    { desc: "an unnamed later entry", value: "/a,/b", error: "needs a name" },
    { desc: "a relative path", value: "run/c.sock", error: "not a socket path" },
    {
      desc: "an API that is not one",
      value: "/a,vm:/b?api=v2",
      error: 'endpoint "/b?api=v2": api "v2" is not one of v1, v1alpha2',
    },
  ])("refuses $desc, naming the entry", ({ value, error }) => {
    expect(() => parseConnect(value)).toThrow(error);
  });
});

describe("configuration from flags", () => {
  test("defaults match the original criproxy's deployment", () => {
    const c = configFromFlags({});
    expect(c.listen).toBe("/run/criproxy.sock");
    expect(c.backends).toEqual([{ name: "", socket: "/run/containerd/containerd.sock" }]);
    expect([c.verbosity, c.connectTimeoutMs, c.requestTimeoutMs, c.staleGraceMs]).toEqual([0, 5000, 120_000, 600_000]);
  });

  test("--runtime-handler claims, repeatable", () => {
    const c = configFromFlags({ connect: "/a,vm:/b", "runtime-handler": ["kata=vm:kata-qemu", "gvisor=vm"] });
    expect(c.handlers).toEqual([
      { handler: "kata", backend: "vm", backendHandler: "kata-qemu" },
      { handler: "gvisor", backend: "vm", backendHandler: "" },
    ]);
  });

  test.each([
    { flags: { v: "7" }, flag: "v" },
    { flags: { "connect-timeout": "soon" }, flag: "connect-timeout" },
    { flags: { listen: "relative.sock" }, flag: "listen" },
    { flags: { "runtime-handler": "kata=nosuch" }, flag: "runtime-handler" },
    { flags: { "stream-port": "99999" }, flag: "stream-port" },
    { flags: { connect: "" }, flag: "connect" },
  ])("a bad --$flag is a FlagError naming it", ({ flags, flag }) => {
    let err: unknown;
    try {
      configFromFlags(flags);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlagError);
    expect((err as FlagError).flag).toBe(flag);
    expect((err as Error).message).toStartWith(`--${flag}: `);
  });

  test.each([
    ["500ms", 500],
    ["5s", 5000],
    ["1m30s", 90_000],
    ["2", 2000],
    ["1h", 3_600_000],
  ])("duration %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
