// The unit install writes sandboxes criproxy: systemd-analyze accepts it and rates it at most
// 3.0 ("OK"), and the real binary, started by a real systemd with that sandbox in effect,
// still creates its 0660 socket with its group, reaches the runtime's socket and answers kubelet.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { criproxyUnit } from "../../src/install/criproxy-unit.ts";
import { startFakeRuntime, type FakeRuntime } from "../../src/fake/runtime.ts";
import { criClient } from "../support/grpc-client.ts";
import { accepts } from "../support/proxy-process.ts";
import { waitFor } from "../support/wait.ts";
import { startUnit, userSystemdMissing, type RunningUnit } from "./user-systemd.ts";

const ANALYZE = "/usr/bin/systemd-analyze";
const hasAnalyze = existsSync(ANALYZE);
const noSystemd = userSystemdMissing();
if (process.env.CI === "true" && (!hasAnalyze || noSystemd))
  throw new Error(`CI: systemd is needed for the unit's sandbox tests: ${noSystemd ?? `${ANALYZE} missing`}`);

const work = `/run/criproxy-sbx-${process.pid}`; // Not /tmp: the unit has PrivateTmp=, and ProtectHome= hides /root.
const unitFor = (binary: string, serveArgs: string[] = []) =>
  criproxyUnit({
    binary,
    listen: `${work}/sock/criproxy.sock`,
    primary: `unix://${work}/rt.sock`,
    named: [],
    serveArgs,
  });

beforeAll(() => mkdirSync(work, { recursive: true, mode: 0o755 }));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!hasAnalyze)("systemd-analyze on the generated unit", () => {
  test("verify: no complaint", () => {
    Bun.write(`${work}/criproxy.service`, unitFor(process.execPath));
    const r = Bun.spawnSync([ANALYZE, "verify", `${work}/criproxy.service`], { stdout: "pipe", stderr: "pipe" });
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.exitCode).toBe(0);
  });

  test.each([
    { desc: "default", args: [] as string[] },
    { desc: "--socket-group (CAP_CHOWN kept)", args: ["--socket-group", "1"] as string[] },
  ])("security --offline=yes: exposure at most 3.0 ($desc)", async ({ args }) => {
    await Bun.write(`${work}/criproxy.service`, unitFor("/opt/criproxy/bin/criproxy", args));
    const r = Bun.spawnSync([ANALYZE, "security", "--offline=yes", `${work}/criproxy.service`], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const m = /Overall exposure level for criproxy\.service: ([\d.]+)/.exec(r.stdout.toString());
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(3.0);
  });
});

test("no capability at all unless the socket may get a group", () => {
  expect(unitFor("/x", ["-v", "2"])).toContain("\nCapabilityBoundingSet=\n");
  expect(unitFor("/x", ["-v", "2"])).not.toContain("@chown");
  for (const args of [["--socket-group", "kubelet"], ["--socket-group=1"], ["--config", "/etc/criproxy/c.yaml"]]) {
    expect(unitFor("/x", args)).toContain("\nCapabilityBoundingSet=CAP_CHOWN\n");
  }
});

describe.skipIf(!!noSystemd)("the real binary under the unit's sandbox", () => {
  let runtime: FakeRuntime;
  let unit: RunningUnit | undefined;
  beforeAll(async () => {
    const build = Bun.spawnSync(
      [process.execPath, "build", "--compile", "src/cli/main.ts", "--outfile", `${work}/criproxy`],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (build.exitCode !== 0) throw new Error(`bun build --compile failed: ${build.stderr}`);
    runtime = await startFakeRuntime({ socket: `${work}/rt.sock`, runtimeName: "sandboxed-primary" });
    // gid 1 (daemon): a group root is not in, so the socket's chown needs CAP_CHOWN.
    unit = await startUnit(
      `criproxy-sbx-${process.pid}`,
      unitFor(`${work}/criproxy`, ["--socket-group", "1", "-v", "2"]),
      work,
    );
  }, 60_000);
  afterAll(async () => {
    await unit?.stop();
    await runtime?.stop();
  });

  test("serves kubelet on its 0660 socket, with its group, through to the runtime", async () => {
    const socket = `${work}/sock/criproxy.sock`;
    await waitFor(() => existsSync(socket) && accepts(socket), 10_000, `criproxy's socket (log: ${join(work, "log")})`);
    const st = statSync(socket);
    expect([st.mode & 0o777, st.gid]).toEqual([0o660, 1]); // UMask=0077 does not narrow it: criproxy sets it
    const kubelet = criClient(socket, { deadlineMs: 5000 });
    try {
      expect(await kubelet.call<{ runtimeName: string }>("Version", {})).toMatchObject({
        runtimeName: "sandboxed-primary",
      });
    } finally {
      kubelet.close();
    }
  });

  test("the process runs with the sandbox in effect", () => {
    const status = unit!.status;
    const field = (k: string) => new RegExp(`^${k}:\\s*(\\S+)`, "m").exec(status)?.[1];
    expect(field("CapBnd")).toBe("0000000000000001"); // CAP_CHOWN only
    expect(field("NoNewPrivs")).toBe("1");
    expect(field("Seccomp")).toBe("2");
    // ProtectSystem=strict: / is read-only; the socket's directory is the writable exception.
    const mounts = unit!.mountinfo.split("\n").map((l) => l.split(" "));
    const opts = (point: string) => mounts.find((f) => f[4] === point)?.[5] ?? "";
    expect(opts("/").split(",")).toContain("ro");
    expect(opts(`${work}/sock`).split(",")).toContain("rw");
  });

  test("systemd takes the memory ceiling and the restart policy as written", () => {
    const shown = Object.fromEntries(
      unit!.show
        .trim()
        .split("\n")
        .map((l) => l.split("=", 2)),
    );
    expect(shown).toEqual({
      MemoryHigh: String(768 * 1024 ** 2),
      MemoryMax: String(1024 * 1024 ** 2),
      Restart: "always",
    });
  });
});

describe("a memory ceiling the kernel honours", () => {
  const limits = (unit: string) => ({
    high: Number(/^MemoryHigh=(\d+)M$/m.exec(unit)?.[1]),
    max: Number(/^MemoryMax=(\d+)M$/m.exec(unit)?.[1]),
  });

  test("MemoryHigh= below MemoryMax=, both above the byte budget, with Restart=always and the OOM shield", () => {
    const unit = unitFor("/x");
    const { high, max } = limits(unit);
    expect(high).toBeLessThan(max);
    expect(high).toBeGreaterThan(512); // --max-buffered-bytes' default, in MiB: the calls' bytes fit under the throttle
    expect(unit).toContain("\nRestart=always\n");
    expect(unit).toContain("\nOOMScoreAdjust=-999\n");
  });

  test.each([
    { args: ["--max-buffered-bytes", "2Gi"], budgetMiB: 2048 },
    { args: ["--max-buffered-bytes=64Mi"], budgetMiB: 64 },
    { args: ["-v", "2"], budgetMiB: 512 },
  ])("the ceiling follows --max-buffered-bytes ($args)", ({ args, budgetMiB }) => {
    const { high, max } = limits(unitFor("/x", [...args]));
    expect(high - budgetMiB).toBe(256);
    expect(max - high).toBe(256);
  });
});
