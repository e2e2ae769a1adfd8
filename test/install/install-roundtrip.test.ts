// install -> install -> uninstall on fake host roots written to disk, with fake systemctl and
// nsenter on PATH recording what would run. The host root must end byte-identical.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInstall, runUninstall } from "../../src/install/run-install.ts";
import {
  FLAG_DROPIN,
  KUBEADM_CONFIG,
  KUBEADM_FLAGS_ENV,
  SYMLINKED_CONFIG,
  SYMLINKED_DROPIN_DIR,
  UNKNOWN,
  fingerprint,
  writeHostRoot,
} from "./fake-host.ts";

let bin: string;
let log: string;
let binary: string;
const savedPath = process.env.PATH;

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), "criproxy-fakebin-"));
  log = join(bin, "calls.log");
  // Each fake only records its argv: nothing on this machine is restarted.
  for (const name of ["systemctl", "nsenter"]) {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  binary = join(bin, "criproxy");
  writeFileSync(binary, "#!/bin/sh\necho fake criproxy\n");
  process.env.PATH = `${bin}:${savedPath}`;
});
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(bin, { recursive: true, force: true });
});

/** Runs a command, capturing what it prints; returns [exit code, output]. */
async function capture(run: (out: (t: string) => void) => Promise<number>): Promise<[number, string]> {
  let text = "";
  const code = await run((t) => (text += t));
  return [code, text];
}
const calls = () => (existsSync(log) ? readFileSync(log, "utf8") : "");

/** After install, a linked file is still a link, and its target took the edit with its own mode and owner. */
function linkedKept(link: string, target: string, mode: number) {
  return (root: string) => {
    expect(lstatSync(join(root, link)).isSymbolicLink()).toBe(true);
    const st = statSync(join(root, target));
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([mode, 1234, 5678]);
    expect(readFileSync(join(root, target), "utf8")).toContain("unix:///run/criproxy.sock");
  };
}

describe.each([
  { name: "kubeadm flags file", layout: KUBEADM_FLAGS_ENV, owned: undefined, check: undefined },
  { name: "kubeadm config.yaml", layout: KUBEADM_CONFIG, owned: undefined, check: undefined },
  { name: "flag-only drop-in", layout: FLAG_DROPIN, owned: undefined, check: undefined },
  {
    name: "kubelet config behind an absolute link",
    layout: SYMLINKED_CONFIG,
    owned: "/etc/kubernetes/kubelet/config.yaml",
    check: linkedKept("/var/lib/kubelet/config.yaml", "/etc/kubernetes/kubelet/config.yaml", 0o600),
  },
  {
    name: "drop-in directory behind a relative link",
    layout: SYMLINKED_DROPIN_DIR,
    owned: "/etc/kubernetes/systemd/kubelet.service.d/20-runtime.conf",
    check: linkedKept(
      "/etc/systemd/system/kubelet.service.d",
      "/etc/kubernetes/systemd/kubelet.service.d/20-runtime.conf",
      0o644,
    ),
  },
])("round trip: $name", ({ layout, owned, check }) => {
  test("install, install again, uninstall: byte-identical host root", async () => {
    const root = writeHostRoot(layout);
    // A file owned by someone else: install must keep its owner (and mode) when it writes it.
    if (owned !== undefined) chownSync(join(root, owned), 1234, 5678);
    rmSync(log, { force: true });
    const start = fingerprint(root);
    const opts = {
      hostRoot: root,
      connect: "vm:/run/vm/cri.sock",
      listen: "/run/criproxy.sock",
      binary,
      serveArgs: "-v 3",
      check: false,
    };

    const [dryCode, dry] = await capture((out) => runInstall({ ...opts, dryRun: true, restart: true, out }));
    expect(dryCode).toBe(0);
    expect(dry).toContain("+++ b/etc/systemd/system/criproxy.service");
    expect(fingerprint(root)).toEqual(start);
    expect(calls()).toBe("");

    const [code, applied] = await capture((out) => runInstall({ ...opts, dryRun: false, restart: true, out }));
    expect(code).toBe(0);
    expect(applied).toContain(dry.replace("dry run: nothing was changed\n", ""));
    expect(readFileSync(join(root, "etc/systemd/system/criproxy.service"), "utf8")).toContain(
      "--listen /run/criproxy.sock --connect ",
    );
    expect(statSync(join(root, "opt/criproxy/bin/criproxy")).mode & 0o777).toBe(0o755);
    const cfg = join(root, "var/lib/kubelet/config.yaml");
    if (existsSync(cfg)) expect(statSync(cfg).mode & 0o777).toBe(0o600);
    check?.(root);
    const nsenter = "nsenter --target 1 --mount --uts --ipc --net --pid -- systemctl";
    expect(calls()).toBe(
      `${nsenter} daemon-reload\n${nsenter} restart criproxy.service\n${nsenter} restart kubelet.service\n`,
    );

    const installed = fingerprint(root);
    const [again, said] = await capture((out) => runInstall({ ...opts, dryRun: false, restart: true, out }));
    expect(again).toBe(0);
    expect(said).toContain("nothing to change");
    expect(fingerprint(root)).toEqual(installed);
    expect(calls().split("\n").length).toBe(4);

    const [un, removed] = await capture((out) => runUninstall({ hostRoot: root, dryRun: false, restart: true, out }));
    expect(un).toBe(0);
    expect(removed).toContain("--- a/etc/systemd/system/criproxy.service");
    expect(fingerprint(root)).toEqual(start);
    expect(calls()).toEndWith(
      `${nsenter} daemon-reload\n${nsenter} restart kubelet.service\n${nsenter} stop criproxy.service\n`,
    );

    const [un2, nothing] = await capture((out) => runUninstall({ hostRoot: root, dryRun: false, restart: true, out }));
    expect([un2, nothing]).toEqual([0, expect.stringContaining("not installed")]);
    rmSync(root, { recursive: true, force: true });
  });
});

test("without --restart, install says what is left to do", async () => {
  const root = writeHostRoot(KUBEADM_CONFIG);
  rmSync(log, { force: true });
  const [code, text] = await capture((out) =>
    runInstall({
      hostRoot: root,
      connect: "",
      listen: "/run/criproxy.sock",
      binary,
      serveArgs: "",
      check: false,
      dryRun: false,
      restart: false,
      out,
    }),
  );
  expect(code).toBe(0);
  expect(text).toContain(
    "to finish, run on the node (or pass --restart):\n  systemctl daemon-reload\n  systemctl restart criproxy.service\n  systemctl restart kubelet.service\n",
  );
  expect(calls()).toBe("");
  rmSync(root, { recursive: true, force: true });
});

test("an unknown layout is refused and left untouched", async () => {
  const root = writeHostRoot(UNKNOWN);
  const start = fingerprint(root);
  const code = await runInstall({
    hostRoot: root,
    connect: "",
    listen: "/run/criproxy.sock",
    binary,
    serveArgs: "",
    check: false,
    dryRun: false,
    restart: true,
    out: () => {},
  });
  expect(code).toBe(1);
  expect(fingerprint(root)).toEqual(start);
  rmSync(root, { recursive: true, force: true });
});
