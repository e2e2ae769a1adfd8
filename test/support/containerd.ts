// A private containerd for tests: its own config, dirs and sockets in a temp dir; the host's is untouched.
import { spawn, spawnSync, type Subprocess } from "bun";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerdConfig, containerdPaths, type CriOptions } from "./containerd-config.ts";
import { criClient } from "./grpc-client.ts";
import { killProcessesMentioning } from "./process-tree.ts";

export interface Containerd {
  /** The CRI/containerd gRPC socket. */
  socket: string;
  /** The temp dir holding config, root, state and sockets. */
  root: string;
  /** containerd --version, e.g. "1.6.20~ds1". */
  version: string;
  /** SIGTERM (then SIGKILL), kill leftover shims, unmount and remove the temp dir. */
  stop(): Promise<void>;
  /** Run `ctr --address SOCKET ...args`; resolves stdout, rejects with stderr. CRI objects live in namespace k8s.io. */
  ctr(args: string[]): Promise<string>;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const OVERLAYFS_MAGIC = 0x794c7630;

// overlayfs needs kernel support and an upper dir that is not itself on overlayfs (as in many CI containers).
function pickSnapshotter(dir: string): string {
  const kernelHasOverlay = readFileSync("/proc/filesystems", "utf8").includes("\toverlay");
  return kernelHasOverlay && statfsSync(dir).type !== OVERLAYFS_MAGIC ? "overlayfs" : "native";
}

// Mounts under dir (snapshots, shm), deepest first, so the temp dir can be removed.
function unmountUnder(dir: string): void {
  const mountpoints = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mountpoints) spawnSync(["umount", "-l", m]);
}

// Keep the last lines of containerd's stderr to explain a failed start.
function tailOf(stream: ReadableStream<Uint8Array>, keep = 40): { text: () => string; done: Promise<void> } {
  const lines: string[] = [];
  let partial = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const parts = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
      if (lines.length > keep) lines.splice(0, lines.length - keep);
    }
  })().catch(() => {});
  return { text: () => [...lines, partial].join("\n").trim(), done };
}

/** Start a private containerd with the CRI plugin, `cri` set in its config (callers skip first: `missing("containerd")`). */
export async function startContainerd(cri: CriOptions = {}): Promise<Containerd> {
  const binary = Bun.which("containerd");
  if (!binary || !Bun.which("ctr") || !Bun.which("runc"))
    throw new Error("containerd, ctr and runc are needed: apt-get install containerd runc");
  const version = spawnSync([binary, "--version"]).stdout.toString().trim().split(" ")[2] ?? "unknown";
  const dir = await mkdtemp(join(tmpdir(), "criproxy-ctrd-"));
  const paths = containerdPaths(dir);
  await mkdir(`${dir}/cni/bin`, { recursive: true });
  await mkdir(`${dir}/cni/net.d`, { recursive: true });
  await writeFile(`${dir}/config.toml`, containerdConfig(paths, pickSnapshotter(dir), cri));

  const proc: Subprocess<"ignore", "ignore", "pipe"> = spawn(
    [binary, "--config", `${dir}/config.toml`, "--log-level", "info"],
    {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    },
  );
  const stderrTail = tailOf(proc.stderr);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      proc.kill("SIGTERM");
      const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!exited) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
      // Shims outlive containerd by design; ours name our socket on their command line.
      killProcessesMentioning(paths.socket);
      unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    })());

  const ctr = async (args: string[]) => {
    const child = spawn(["ctr", "--address", paths.socket, ...args], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    if (code !== 0) throw new Error(`ctr ${args.join(" ")} exited ${code}: ${err.trim()}`);
    return out;
  };

  try {
    await waitForCri(paths.socket, proc);
  } catch (e) {
    await stop();
    await Promise.race([stderrTail.done, Bun.sleep(500)]); // let the last lines arrive
    throw new Error(
      `containerd ${version} did not start: ${(e as Error).message}\n--- containerd stderr (tail) ---\n${stderrTail.text()}`,
    );
  }
  return { socket: paths.socket, root: dir, version, stop, ctr };
}

// Poll the CRI Version until it answers (the CRI plugin starts after the socket opens).
async function waitForCri(socket: string, proc: Subprocess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`exited with code ${proc.exitCode}`);
    const client = criClient(socket, { deadlineMs: 1000 });
    try {
      await client.call("Version", { version: "v1" });
      return;
    } catch (e) {
      last = (e as Error).message;
    } finally {
      client.close();
    }
    await Bun.sleep(100);
  }
  throw new Error(`CRI not ready after ${READY_TIMEOUT_MS} ms (last error: ${last})`);
}
