// A private containerd that can run pods on this kind of machine: test/support/containerd.ts's
// config plus two CRI settings pods need here. Kept beside the image test so the shared helper
// is not edited under its owner; fold these settings into it once it takes CRI options.
//  - restrict_oom_score_adj: the sandbox asks for oom_score_adj -998, which a process without
//    CAP_SYS_RESOURCE (a CI container) may not set; runc then dies with "can't get final
//    child's PID from pipe: EOF". containerd clamps the value to its own instead.
//  - sandbox_image: the locally built pause image (test/support/pause-image.ts), never pulled.
import { spawn, spawnSync } from "bun";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerdConfig, containerdPaths } from "./containerd-config.ts";
import { criClient } from "./grpc-client.ts";
import { killProcessesMentioning } from "./process-tree.ts";

/** The pause image name this containerd uses as its sandbox image. */
export const TEST_PAUSE_IMAGE = "localhost/criproxy-test-pause:1";

export interface PodContainerd {
  socket: string;
  root: string;
  stop(): Promise<void>;
  ctr(args: string[]): Promise<string>;
  /** containerd's stderr so far, to explain a failure. */
  log(): string;
}

/**
 * Starts it (callers skip first: `missing("containerd")`). `metricsAddress` (HOST:PORT) serves
 * containerd's own /v1/metrics, whose grpc_server_handled_total counts calls by gRPC service.
 */
export async function startPodContainerd(opts: { metricsAddress?: string } = {}): Promise<PodContainerd> {
  if (!Bun.which("containerd") || !Bun.which("ctr") || !Bun.which("runc")) throw new Error("containerd, ctr and runc are needed: apt-get install containerd runc");
  const dir = await mkdtemp(join(tmpdir(), "criproxy-podctrd-"));
  const p = containerdPaths(dir);
  await mkdir(`${dir}/cni/bin`, { recursive: true });
  await mkdir(`${dir}/cni/net.d`, { recursive: true });
  const overlay = readFileSync("/proc/filesystems", "utf8").includes("\toverlay") && statfsSync(dir).type !== 0x794c7630;
  const config = containerdConfig(p, overlay ? "overlayfs" : "native")
    .replace(/sandbox_image = .*/, `sandbox_image = ${JSON.stringify(TEST_PAUSE_IMAGE)}\n    restrict_oom_score_adj = true`)
    .replace(/\[metrics\]\n  address = ""/, `[metrics]\n  address = ${JSON.stringify(opts.metricsAddress ?? "")}`);
  await writeFile(`${dir}/config.toml`, config);
  const proc = spawn(["containerd", "--config", `${dir}/config.toml`], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  let stderr = "";
  (async () => {
    for await (const chunk of proc.stderr) stderr = (stderr + new TextDecoder().decode(chunk)).slice(-20_000);
  })().catch(() => {});

  const stop = async () => {
    proc.kill("SIGTERM");
    if (!(await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]))) proc.kill("SIGKILL");
    await proc.exited;
    killProcessesMentioning(p.socket); // shims outlive containerd by design
    const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]).filter((m) => m?.startsWith(`${dir}/`));
    for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync(["umount", "-l", m]);
    await rm(dir, { recursive: true, force: true });
  };
  const ctr = async (args: string[]) => {
    const child = spawn(["ctr", "--address", p.socket, ...args], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    if (code !== 0) throw new Error(`ctr ${args.join(" ")} exited ${code}: ${err.trim()}`);
    return out;
  };
  for (const deadline = Date.now() + 20_000; ; ) {
    const client = criClient(p.socket, { deadlineMs: 1000 });
    try {
      await client.call("Version", { version: "v1" });
      break;
    } catch (e) {
      if (Date.now() > deadline || proc.exitCode !== null) {
        await stop();
        throw new Error(`containerd did not start: ${(e as Error).message}\n${stderr.slice(-4000)}`);
      }
    } finally {
      client.close();
    }
    await Bun.sleep(100);
  }
  return { socket: p.socket, root: dir, stop, ctr, log: () => stderr };
}
