// --config is trusted only when only root (or criproxy's own uid) can change it: the file and
// every directory on the way to it, links followed step by step. Each refusal names the path
// and the reason; the file is then not read at all.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/config-file.ts";
import { checkConfigTrust } from "../../src/config/config-trust.ts";
import { tempDir } from "../support/proxy-process.ts";

const isRoot = process.geteuid?.() === 0;
// Owners other than root can be given only by root; CI runs as root.
if (!isRoot && process.env.CI === "true")
  throw new Error("CI: the config trust tests chown files and must run as root");

const tmp = tempDir("criproxy-trust-"); // mode 0700, in root-owned sticky /tmp
afterAll(() => tmp.remove());
let n = 0;

/** Makes a directory under the test dir with `mode` (and owner). */
function dir(mode: number, uid = 0): string {
  const d = join(tmp.dir, `d${++n}`);
  mkdirSync(d);
  chmodSync(d, mode);
  chownSync(d, uid, 0);
  return d;
}
/** Writes a valid config file in `d` with `mode` (and owner). */
function file(d: string, mode = 0o644, uid = 0): string {
  const p = join(d, `c${++n}.yaml`);
  writeFileSync(p, "v: 2\n");
  chmodSync(p, mode);
  chownSync(p, uid, 0);
  return p;
}
/** A symbolic link in `d` to `target`. */
function link(d: string, target: string): string {
  const p = join(d, `l${++n}.yaml`);
  symlinkSync(target, p);
  return p;
}

describe.skipIf(!isRoot)("a config file only root can change is read", () => {
  test.each([
    { desc: "0644 root file in a 0755 root directory", path: () => file(dir(0o755)) },
    { desc: "0600 file", path: () => file(dir(0o700), 0o600) },
    { desc: "in a root-owned sticky world-writable directory (like /tmp)", path: () => file(dir(0o1777)) },
    {
      desc: "a file in a root-owned directory inside a sticky one",
      path: () => {
        const s = dir(0o1777);
        mkdirSync(join(s, "x"), { mode: 0o755 });
        return file(join(s, "x"));
      },
    },
    { desc: "through a link to a trusted file", path: () => link(dir(0o755), file(dir(0o755))) },
    {
      desc: "through a relative link with ..",
      path: () => {
        const d = dir(0o755);
        const f = file(dir(0o755));
        return link(d, `../${f.split("/").slice(-2).join("/")}`);
      },
    },
  ])("$desc", ({ path }) => expect(loadConfig({ config: path() }).verbosity).toBe(2));

  test("a file owned by criproxy's own uid (not root) is trusted by that uid", () => {
    const d = dir(0o755, 1234);
    expect(checkConfigTrust(file(d, 0o644, 1234), 1234)).toMatchObject({ ino: expect.any(Number) });
    expect(checkConfigTrust(file(d, 0o644, 1234), 0)).toContain("is owned by uid 1234, not root");
  });
});

describe.skipIf(!isRoot)("a config file others could change is refused, naming the path and the reason", () => {
  const refusals: { desc: string; make: () => { path: string; culprit: string }; reason: string }[] = [
    {
      desc: "a group-writable file",
      make: () => {
        const p = file(dir(0o755), 0o664);
        return { path: p, culprit: p };
      },
      reason: "is group-writable (mode 0664)",
    },
    {
      desc: "a world-writable file",
      make: () => {
        const p = file(dir(0o755), 0o646);
        return { path: p, culprit: p };
      },
      reason: "is world-writable (mode 0646)",
    },
    {
      desc: "a file owned by another user",
      make: () => {
        const p = file(dir(0o755), 0o644, 1234);
        return { path: p, culprit: p };
      },
      reason: "is owned by uid 1234, not root",
    },
    {
      desc: "a group-writable parent directory",
      make: () => {
        const d = dir(0o775);
        return { path: file(d), culprit: d };
      },
      reason: "is group-writable (mode 0775) without the sticky bit",
    },
    {
      desc: "a world-writable parent directory",
      make: () => {
        const d = dir(0o757);
        return { path: file(d), culprit: d };
      },
      reason: "is world-writable (mode 0757) without the sticky bit",
    },
    {
      desc: "a parent directory owned by another user",
      make: () => {
        const d = dir(0o755, 1234);
        return { path: file(d), culprit: d };
      },
      reason: "is owned by uid 1234, not root",
    },
    {
      desc: "a sticky directory owned by another user",
      make: () => {
        const d = dir(0o1777, 1234);
        return { path: file(d), culprit: d };
      },
      reason: "is owned by uid 1234, not root",
    },
    {
      desc: "a group-writable grandparent",
      make: () => {
        const g = dir(0o775);
        mkdirSync(join(g, "p"), { mode: 0o755 });
        return { path: file(join(g, "p")), culprit: g };
      },
      reason: "is group-writable (mode 0775)",
    },
    {
      desc: "a link into an untrusted directory",
      make: () => {
        const bad = dir(0o777);
        return { path: link(dir(0o755), file(bad)), culprit: bad };
      },
      reason: "is world-writable and group-writable (mode 0777) without the sticky bit",
    },
    {
      desc: "a link to a file owned by another user",
      make: () => {
        const f = file(dir(0o755), 0o644, 1234);
        return { path: link(dir(0o755), f), culprit: f };
      },
      reason: "is owned by uid 1234, not root",
    },
    {
      desc: "a link held in an untrusted directory",
      make: () => {
        const bad = dir(0o770);
        return { path: link(bad, file(dir(0o755))), culprit: bad };
      },
      reason: "is group-writable (mode 0770)",
    },
    {
      desc: "a directory, not a file",
      make: () => {
        const d = dir(0o755);
        mkdirSync(join(d, "x.yaml"));
        return { path: join(d, "x.yaml"), culprit: join(d, "x.yaml") };
      },
      reason: "is not a regular file",
    },
  ];
  test.each(refusals)("$desc", ({ make, reason }) => {
    const { path, culprit } = make();
    expect(() => loadConfig({ config: path })).toThrow(`${path}: refusing it: ${culprit} ${reason}`);
  });

  test("check-config says the same and exits 1", () => {
    const d = dir(0o775);
    const path = file(d);
    const r = Bun.spawnSync([process.execPath, "src/cli/main.ts", "check-config", path], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toContain(`${d} is group-writable (mode 0775)`);
  });
});
