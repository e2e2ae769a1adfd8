// --listen never takes a live socket: not a runtime's (the same path as --connect, or any
// path something answers on), and not one in a directory another user controls. Only a stale
// socket a crash left is replaced (lifecycle.test.ts).
import { expect, test } from "bun:test";
import { chownSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { criClient } from "../support/grpc-client.ts";
import { cliEntry, startProxy, tempDir } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";

/** Runs criproxy to its exit: code and stderr. */
async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn([process.execPath, cliEntry, ...args], { stderr: "pipe", stdout: "pipe" });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  return { code, stderr };
}

/** The runtime still owns its socket: the same file, and it still answers there. */
async function expectKept(socket: string, ino: number): Promise<void> {
  expect(statSync(socket).ino).toBe(ino);
  const client = criClient(socket);
  try {
    expect(await client.call("Version")).toMatchObject({ runtimeName: "fake" });
  } finally {
    client.close();
  }
}

test("--listen at a live runtime's socket: criproxy refuses to start, naming its holder, and the runtime keeps its socket", async () => {
  const primary = await startFakeRuntime({ socket: tempSocket("live-primary") });
  const other = await startFakeRuntime({ socket: tempSocket("live-other") });
  try {
    const ino = statSync(other.socket).ino;
    const { code, stderr } = await run(["--connect", primary.socket, "--listen", other.socket]);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`--listen ${other.socket}: a live socket is there`);
    expect(stderr).toContain(`(pid ${process.pid})`); // the fake runtime runs in this test's process
    await expectKept(other.socket, ino);
  } finally {
    await primary.stop();
    await other.stop();
  }
}, 20_000);

test("--listen equal to a runtime endpoint is refused before anything is touched, naming the runtime", async () => {
  const vm = await startFakeRuntime({ socket: tempSocket("same-vm") });
  try {
    const ino = statSync(vm.socket).ino;
    const { code, stderr } = await run([
      "--connect",
      `${tempSocket("absent")},vm:unix://${vm.socket}`,
      "--listen",
      vm.socket,
    ]);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`is the socket of runtime vm (--connect)`);
    await expectKept(vm.socket, ino);
  } finally {
    await vm.stop();
  }
}, 20_000);

test("--listen in a directory another user owns is refused; one root or criproxy's own user owns is served", async () => {
  if (process.getuid?.() !== 0) return void console.warn("skipped: needs root to give a directory to another user");
  const tmp = tempDir();
  try {
    const theirs = join(tmp.dir, "theirs");
    mkdirSync(theirs);
    chownSync(theirs, 65534, 65534);
    const { code, stderr } = await run(["--connect", tempSocket("absent"), "--listen", join(theirs, "criproxy.sock")]);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`its directory ${theirs} belongs to uid 65534, not root`);
    const proxy = await startProxy(["--connect", tempSocket("absent")], {
      socket: join(tmp.dir, "mine", "criproxy.sock"),
    });
    await proxy.stop();
  } finally {
    tmp.remove();
  }
}, 20_000);
