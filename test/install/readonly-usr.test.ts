// Image-based nodes mount /usr read-only. install, install again and uninstall must work when
// kubelet's files are under /etc (nothing of criproxy's goes under /usr), and must refuse up
// front, changing nothing, when the endpoint is set in a file under the read-only /usr.
// The read-only /usr is a real read-only bind mount, in a mount namespace of the test's own.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { FLAG_IN_READONLY_USR, READONLY_USR, fingerprint, writeHostRoot, type Layout } from "./fake-host.ts";

/** Whether this machine lets the test make a private mount namespace with a read-only bind mount (root, util-linux). */
function canMountReadOnly(): boolean {
  const r = Bun.spawnSync(
    [
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      "mount --bind -o ro /tmp /tmp && ! touch /tmp/.criproxy-ro-probe 2>/dev/null",
    ],
    { stderr: "pipe" },
  );
  return r.exitCode === 0;
}
const available = canMountReadOnly();
if (!available && process.env.CI === "true")
  throw new Error("CI: unshare/mount cannot make a read-only bind mount here (needs root and util-linux)");

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** Runs criproxy commands in turn with the host root's /usr mounted read-only; returns each one's exit code and output. */
function withReadOnlyUsr(
  layout: Layout,
  commands: string[][],
): { root: string; start: Record<string, string>; runs: { code: number; text: string }[] } {
  const root = writeHostRoot(layout);
  roots.push(root);
  const start = fingerprint(root);
  const cli = `${JSON.stringify(process.execPath)} src/cli/main.ts`;
  const lines = commands.map(
    (args, i) =>
      `${cli} ${args.map((a) => `'${a}'`).join(" ")} --host-root='${root}' > "$out/${i}" 2>&1; echo $? > "$out/${i}.code"`,
  );
  const out = `${root}.out`;
  roots.push(out);
  const script = `set -e; mkdir -p "$out"; mount --bind -o ro '${root}/usr' '${root}/usr'; if touch '${root}/usr/x' 2>/dev/null; then echo "usr is writable"; exit 9; fi; set +e; ${lines.join("; ")}`;
  const r = Bun.spawnSync(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], {
    env: { ...process.env, out },
    stderr: "pipe",
    stdout: "pipe",
  });
  expect(r.exitCode).toBe(0);
  const runs = commands.map((_, i) => ({
    code: Number(readFileSync(`${out}/${i}.code`, "utf8")),
    text: readFileSync(`${out}/${i}`, "utf8"),
  }));
  return { root, start, runs };
}

describe.skipIf(!available)("a read-only /usr", () => {
  test("kubelet's files under /etc: install, install again, uninstall leave the host byte-identical", () => {
    const install = ["install", "--binary=package.json", "--connect=vm:/run/vm/cri.sock"];
    const { root, start, runs } = withReadOnlyUsr(READONLY_USR, [install, install, ["uninstall"]]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(runs[0].text).toContain("applied");
    expect(runs[0].text).not.toMatch(/^(mkdir|install|symlink) \/usr/m);
    expect(runs[1].text).toContain("nothing to change");
    expect(runs[2].text).toContain("--- a/etc/systemd/system/criproxy.service");
    expect(fingerprint(root)).toEqual(start);
  }, 20_000); // every change is fsynced, file and directory: slow on a loaded disk

  test("the endpoint set under /usr: refused before anything is written, naming the file", () => {
    const { root, start, runs } = withReadOnlyUsr(FLAG_IN_READONLY_USR, [["install", "--binary=package.json"]]);
    expect(runs[0].code).toBe(1);
    expect(runs[0].text).toContain(
      "/usr/lib/systemd/system/kubelet.service: /usr/lib/systemd/system is on a read-only file system",
    );
    expect(fingerprint(root)).toEqual(start);
  });
});
