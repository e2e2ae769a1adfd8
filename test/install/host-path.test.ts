// The one symlink rule: a host path resolves inside the host root as if chrooted, for reads and
// writes alike. No link, absolute or full of "..", leads out of the host root.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveWith } from "../../src/install/host-path.ts";
import { runInstall, runUninstall } from "../../src/install/run-install.ts";
import { KUBEADM_CONFIG, fingerprint, writeHostRoot } from "./fake-host.ts";

const links: Record<string, string> = {
  "/var/lib/kubelet/config.yaml": "/etc/kubernetes/kubelet/config.yaml",
  "/lib": "usr/lib",
  "/etc/escape": "../../../../../../etc/passwd",
  "/a": "/b",
  "/b": "/a",
};
const readlink = (p: string) => links[p];

describe("resolution, row by row", () => {
  test.each([
    { path: "/var/lib/kubelet/config.yaml", expect: "/etc/kubernetes/kubelet/config.yaml" },
    { path: "/lib/systemd/system/kubelet.service", expect: "/usr/lib/systemd/system/kubelet.service" },
    { path: "/etc/escape", expect: "/etc/passwd" },
    { path: "/../../../etc/shadow", expect: "/etc/shadow" },
    { path: "/opt/criproxy/../../etc", expect: "/etc" },
  ])("$path -> $expect", ({ path, expect: want }) => expect(resolveWith(readlink, path)).toBe(want));

  test("the last component is kept when not followed (a link is removed, not its target)", () =>
    expect(resolveWith(readlink, "/var/lib/kubelet/config.yaml", false)).toBe("/var/lib/kubelet/config.yaml"));
  test("a loop is an error", () =>
    expect(() => resolveWith(readlink, "/a/x")).toThrow("too many levels of symbolic links"));
});

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

test("a link whose target climbs out of the host root is written inside it; the file outside keeps its bytes, mode and owner", async () => {
  const outside = mkdtempSync(join(tmpdir(), "criproxy-outside-"));
  made.push(outside);
  const config = KUBEADM_CONFIG["/var/lib/kubelet/config.yaml"] as string;
  writeFileSync(join(outside, "config.yaml"), config);
  chmodSync(join(outside, "config.yaml"), 0o604);
  chownSync(join(outside, "config.yaml"), 4321, 4321);
  const before = fingerprint(outside);
  // Inside the host root the same path holds kubelet's real config; followed from the real
  // root, the link's ".."s would reach the file outside instead.
  const root = writeHostRoot({
    ...KUBEADM_CONFIG,
    "/var/lib/kubelet/config.yaml": { link: `../../../../../../../../../..${outside}/config.yaml` },
    [`${outside}/config.yaml`]: config,
  });
  made.push(root);
  chownSync(join(root, outside, "config.yaml"), 1234, 1234);
  const start = fingerprint(root);
  const opts = {
    hostRoot: root,
    connect: "",
    binary: "package.json",
    serveArgs: "",
    check: false,
    dryRun: false,
    restart: false,
    out: () => {},
  };
  expect(await runInstall(opts)).toBe(0);
  expect(lstatSync(join(root, "var/lib/kubelet/config.yaml")).isSymbolicLink()).toBe(true);
  const inside = statSync(join(root, outside, "config.yaml"));
  expect([inside.mode & 0o777, inside.uid]).toEqual([0o600, 1234]);
  expect(readFileSync(join(root, outside, "config.yaml"), "utf8")).toContain("unix:///run/criproxy/criproxy.sock");
  expect(fingerprint(outside)).toEqual(before);
  expect(await runUninstall(opts)).toBe(0);
  expect(fingerprint(root)).toEqual(start);
  expect(fingerprint(outside)).toEqual(before);
});
