// Runs one unit under a real systemd without systemd being PID 1 (CI machines boot no systemd):
// in private mount and PID namespaces, /run becomes a tmpfs as on a systemd host (systemd's
// namespace setup needs that), with /run/systemd/system in it (so systemd believes it was
// booted with systemd) and the test's work directory bound back in at its own path, and a
// `systemd --user` manager runs there as root with XDG_RUNTIME_DIR=/run, so RuntimeDirectory=
// means /run/NAME as for a system service. A root user manager applies the unit's sandbox
// itself (mount namespace, capability bounding set, seccomp, no_new_privs) as PID 1 would.
// Nothing outlives the namespaces: when unshare ends, the kernel kills every process in them.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SYSTEMD = "/lib/systemd/systemd";

/** Why a user manager cannot run here, or undefined when it can. */
export function userSystemdMissing(): string | undefined {
  if (process.geteuid?.() !== 0) return "not root";
  if (!existsSync(SYSTEMD)) return `${SYSTEMD} is not installed (Debian's systemd package)`;
  const r = Bun.spawnSync(["unshare", "--mount", "--propagation", "private", "true"], { stderr: "pipe" });
  if (r.exitCode !== 0) return `unshare --mount fails: ${r.stderr.toString().trim()}`;
  return undefined;
}

export interface RunningUnit {
  /** /proc/PID/status and /proc/PID/mountinfo of the unit's main process, read as it started. */
  status: string;
  mountinfo: string;
  /** What the manager made of the unit (`systemctl show`: MemoryHigh, MemoryMax, Restart), as KEY=VALUE lines. */
  show: string;
  /** Stops the unit and the manager; resolves when the namespace is gone. */
  stop(): Promise<void>;
}

/** Starts `unit` (text) as NAME.service under a user manager; `work` (under /run) holds its files, logs and /proc copies. */
export async function startUnit(name: string, unit: string, work: string, timeoutMs = 20_000): Promise<RunningUnit> {
  const u = `/run/systemd/user/${name}.service`;
  const hold = `/tmp/${name}-hold`;
  const exe = /^ExecStart=(\S+)/m.exec(unit)?.[1] ?? "";
  const script = `
set -e
mkdir -p '${hold}' && mount --bind '${work}' '${hold}' && mount -t tmpfs tmpfs /run
mkdir -p '${work}' /run/systemd/system ${u}.d && mount --bind '${hold}' '${work}'
cp '${work}/unit' ${u}
# Only for the test: the unit's output goes to a file (there is no journald here).
printf '[Service]\\nStandardOutput=append:${work}/log\\nStandardError=append:${work}/log\\n' > ${u}.d/log.conf
printf '[Unit]\\nDescription=nothing else\\n' > /run/systemd/user/sbx.target
export XDG_RUNTIME_DIR=/run
${SYSTEMD} --user --unit=sbx.target > '${work}/manager.log' 2>&1 &
for i in $(seq 100); do [ -S /run/systemd/private ] && break; sleep 0.1; done
systemctl --user start ${name}.service
pid=$(systemctl --user show -p MainPID --value ${name}.service)
# Type=simple returns at fork: wait for the exec, after which the sandbox is complete.
for i in $(seq 100); do [ "$(readlink /proc/$pid/exe)" = '${exe}' ] && break; sleep 0.05; done
cat /proc/$pid/status > '${work}/status'; cat /proc/$pid/mountinfo > '${work}/mountinfo'
systemctl --user show -p MemoryHigh -p MemoryMax -p Restart ${name}.service > '${work}/show'
echo $pid > '${work}/pid'
for i in $(seq ${Math.ceil(timeoutMs / 100) * 3}); do [ -e '${work}/stop' ] && break; sleep 0.1; done
systemctl --user stop ${name}.service
`;
  writeFileSync(join(work, "unit"), unit);
  const proc = Bun.spawn(
    [
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "--pid",
      "--fork",
      "--kill-child",
      "--mount-proc",
      "sh",
      "-c",
      script,
    ],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(join(work, "pid"))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      const out = `${await new Response(proc.stdout).text()}${await new Response(proc.stderr).text()}`;
      const log = existsSync(join(work, "log")) ? readFileSync(join(work, "log"), "utf8") : "";
      throw new Error(`${name}.service did not start: ${out}\n${log}`);
    }
    await Bun.sleep(50);
  }
  return {
    status: readFileSync(join(work, "status"), "utf8"),
    mountinfo: readFileSync(join(work, "mountinfo"), "utf8"),
    show: readFileSync(join(work, "show"), "utf8"),
    async stop() {
      writeFileSync(join(work, "stop"), "");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 4000);
      await proc.exited;
      clearTimeout(timer);
      rmSync(hold, { recursive: true, force: true });
    },
  };
}
