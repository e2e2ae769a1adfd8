// Install and uninstall killed after each step of their plan: a second install, or an
// uninstall, then completes, and the host root ends byte-identical to a clean run. The
// journal (written and fsynced before anything else, removed last) is what makes it so.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInstall, runUninstall } from "../../src/install/run-install.ts";
import { cliEntry } from "../support/proxy-process.ts";
import { fingerprint, KUBEADM_CONFIG, KUBEADM_FLAGS_ENV, type Layout, writeHostRoot } from "./fake-host.ts";

let binary: string;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "criproxy-kill-"));
  binary = join(dir, "criproxy");
  writeFileSync(binary, "#!/bin/sh\necho fake criproxy\n");
  chmodSync(binary, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Stands in for SIGKILL in-process: nothing after the step runs (the real signal is tested below). */
class Killed extends Error {}
const quiet = { out: () => {}, err: () => {} };
const install = (root: string, afterStep?: (n: number) => void) =>
  runInstall({
    hostRoot: root,
    connect: "vm:/run/vm/cri.sock",
    listen: "/run/criproxy.sock",
    binary,
    serveArgs: "-v 3",
    check: false,
    dryRun: false,
    restart: false,
    afterStep,
    ...quiet,
  });
const uninstall = (root: string, afterStep?: (n: number) => void) =>
  runUninstall({ hostRoot: root, dryRun: false, restart: false, afterStep, ...quiet });
const killAt = (k: number) => (n: number) => {
  if (n === k) throw new Killed(`killed after step ${k}`);
};

/** The clean runs: the host before, after install, and how many steps each plan has. */
async function clean(layout: Layout) {
  const root = writeHostRoot(layout);
  let installSteps = 0;
  let uninstallSteps = 0;
  const start = fingerprint(root);
  expect(await install(root, (n) => (installSteps = n))).toBe(0);
  const installed = fingerprint(root);
  expect(await uninstall(root, (n) => (uninstallSteps = n))).toBe(0);
  expect(fingerprint(root)).toEqual(start);
  rmSync(root, { recursive: true, force: true });
  return { start, installed, installSteps, uninstallSteps };
}

describe.each([
  { name: "kubeadm config.yaml", layout: KUBEADM_CONFIG },
  { name: "kubeadm flags file", layout: KUBEADM_FLAGS_ENV },
])("killed at every step: $name", ({ layout }) => {
  test("install killed after any step: a second install, or an uninstall, completes byte-identical", async () => {
    const c = await clean(layout);
    expect(c.installSteps).toBeGreaterThan(5);
    for (let k = 1; k < c.installSteps; k++) {
      for (const then of ["install", "uninstall"] as const) {
        const root = writeHostRoot(layout);
        try {
          expect(await install(root, killAt(k))).toBe(1);
          if (then === "install") {
            expect(await install(root), `install after a kill at step ${k}`).toBe(0);
            expect(fingerprint(root), `installed after a kill at step ${k}`).toEqual(c.installed);
            expect(await uninstall(root)).toBe(0);
          } else {
            expect(await uninstall(root), `uninstall after a kill at step ${k}`).toBe(0);
          }
          expect(fingerprint(root), `${then} after a kill at step ${k} of install`).toEqual(c.start);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }
    }
  }, 60_000);

  test("uninstall killed after any step: a second uninstall, or an install, completes byte-identical", async () => {
    const c = await clean(layout);
    expect(c.uninstallSteps).toBeGreaterThan(5);
    for (let k = 1; k < c.uninstallSteps; k++) {
      for (const then of ["uninstall", "install"] as const) {
        const root = writeHostRoot(layout);
        try {
          expect(await install(root)).toBe(0);
          expect(await uninstall(root, killAt(k))).toBe(1);
          if (then === "install") {
            expect(await install(root), `install after a kill at step ${k}`).toBe(0);
            expect(fingerprint(root), `installed after a kill at step ${k} of uninstall`).toEqual(c.installed);
            expect(await uninstall(root)).toBe(0);
          } else {
            expect(await uninstall(root), `uninstall after a kill at step ${k}`).toBe(0);
          }
          expect(fingerprint(root), `${then} after a kill at step ${k} of uninstall`).toEqual(c.start);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }
    }
  }, 60_000);
});

test("a real SIGKILL right after kubelet's file is edited: uninstall then puts the node back byte for byte", async () => {
  const c = await clean(KUBEADM_CONFIG);
  const root = writeHostRoot(KUBEADM_CONFIG);
  try {
    // The plan's order: journal, mkdirs, binary, unit, link, backup, kubelet's config, record, journal removed.
    const edit = c.installSteps - 2;
    const args = [
      "install",
      "--host-root",
      root,
      "--connect",
      "vm:/run/vm/cri.sock",
      "--listen",
      "/run/criproxy.sock",
      "--binary",
      binary,
      "--serve-args",
      "-v 3",
    ];
    const proc = Bun.spawn([process.execPath, cliEntry, ...args], {
      env: { ...process.env, CRIPROXY_FAULT_KILL_AFTER_STEP: String(edit) },
      stdout: "pipe",
      stderr: "pipe",
    });
    await proc.exited;
    expect(proc.signalCode).toBe("SIGKILL");
    expect(fingerprint(root)).not.toEqual(c.start);
    expect(await uninstall(root)).toBe(0);
    expect(fingerprint(root)).toEqual(c.start);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, 30_000);
