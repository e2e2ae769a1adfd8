// /opt/criproxy/install.json steers a root process: uninstall (and install) act only on what
// install itself creates, backups under /opt/criproxy/backup and kubelet's own files. A record
// that names anything else, or is malformed, is refused with a clear error and nothing is touched.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runInstall, runUninstall } from "../../src/install/run-install.ts";
import { KUBEADM_CONFIG, fingerprint, writeHostRoot } from "./fake-host.ts";

const RECORD = "opt/criproxy/install.json";
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A fake node with criproxy installed (and an /etc/shadow to protect); returns its root. */
async function installed(): Promise<string> {
  const root = writeHostRoot({
    ...KUBEADM_CONFIG,
    "/etc/shadow": "root:*:19000:0:99999:7:::\n",
    "/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
  });
  roots.push(root);
  const code = await runInstall({
    hostRoot: root,
    connect: "",
    binary: "package.json",
    serveArgs: "",
    check: false,
    dryRun: false,
    restart: false,
    out: () => {},
  });
  expect(code).toBe(0);
  return root;
}

/** A function that rewrites the record under a root with `change` applied to it. */
const tampered = (change: (r: Record<string, any>) => void) => (text: string) => {
  const r = JSON.parse(text);
  change(r);
  return JSON.stringify(r, null, 2);
};

describe("a tampered or malformed record is refused; nothing is touched", () => {
  test.each([
    {
      desc: "/etc/shadow under created",
      text: () => tampered((r) => r.created.push("/etc/shadow")),
      error: '"created" names "/etc/shadow", which install never creates',
    },
    {
      desc: "a created path with ..",
      text: () => tampered((r) => r.created.push("/opt/criproxy/bin/../../../etc/shadow")),
      error: "which install never creates",
    },
    {
      desc: "/etc under createdDirs",
      text: () => tampered((r) => r.createdDirs.push("/etc")),
      error: '"createdDirs" names "/etc"',
    },
    {
      desc: "a backup outside the backup directory",
      text: () => tampered((r) => (r.edited[0].backup = "/etc/passwd")),
      error:
        'backup "/etc/passwd" is not /opt/criproxy/backup/var/lib/kubelet/config.yaml: backups live under /opt/criproxy/backup only',
    },
    {
      desc: "an edited file that is not kubelet's",
      text: () =>
        tampered((r) =>
          r.edited.push({ ...r.edited[0], path: "/etc/shadow", backup: "/opt/criproxy/backup/etc/shadow" }),
        ),
      error: "names /etc/shadow, which is not one of kubelet's files",
    },
    {
      desc: "a setting that is not an endpoint setting",
      text: () => tampered((r) => (r.edited[0].settings[0].name = ".*")),
      error: "is not one of kubelet's endpoint settings",
    },
    {
      desc: "an original value systemd would expand",
      text: () => tampered((r) => (r.edited[0].settings[0].original = "/run/$HOME.sock")),
      error: "is not an endpoint",
    },
    { desc: "no created", text: () => tampered((r) => delete r.created), error: 'has no "created"' },
    {
      desc: "created that is not a list",
      text: () => tampered((r) => (r.created = "/etc/shadow")),
      error: '"created" is not a list of paths',
    },
    { desc: "an unknown key", text: () => tampered((r) => (r.remove = ["/etc"])), error: 'unknown key "remove"' },
    { desc: "not JSON", text: () => () => "{ version: 1", error: "not JSON" },
  ])("$desc", async ({ text, error }) => {
    const root = await installed();
    writeFileSync(join(root, RECORD), text()(readFileSync(join(root, RECORD), "utf8")));
    const before = fingerprint(root);
    {
      let said = "";
      const code = await runUninstall({
        hostRoot: root,
        dryRun: false,
        restart: false,
        out: () => {},
        err: (t) => (said += t),
      });
      expect(code).toBe(1);
      expect(said).toContain(error);
      expect(said).toContain("/opt/criproxy/install.json");
      expect(fingerprint(root)).toEqual(before);
      expect(existsSync(join(root, "etc/shadow"))).toBe(true);
      // install reads the same record, and refuses it the same way.
      said = "";
      const again = await runInstall({
        hostRoot: root,
        connect: "",
        binary: "package.json",
        serveArgs: "",
        check: false,
        dryRun: false,
        restart: false,
        out: () => {},
        err: (t) => (said += t),
      });
      expect(again).toBe(1);
      expect(fingerprint(root)).toEqual(before);
    }
  });

  test("the untampered record still uninstalls (the allow-list is not too tight)", async () => {
    const copy = writeHostRoot({ ...KUBEADM_CONFIG });
    const start = fingerprint(copy);
    expect(
      await runInstall({
        hostRoot: copy,
        connect: "vm:/run/vm.sock",
        binary: "package.json",
        serveArgs: "",
        check: false,
        dryRun: false,
        restart: false,
        out: () => {},
      }),
    ).toBe(0);
    expect(await runUninstall({ hostRoot: copy, dryRun: false, restart: false, out: () => {} })).toBe(0);
    expect(fingerprint(copy)).toEqual(start);
    rmSync(copy, { recursive: true, force: true });
  });
});
