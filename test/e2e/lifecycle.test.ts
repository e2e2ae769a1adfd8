// The proxy process's life: its socket, a runtime that dies and comes back, SIGTERM.
import { describe, expect, test } from "bun:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { criClient } from "../support/grpc-client.ts";
import { cliEntry, startProxy, tempDir } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { codeOf, waitFor } from "../support/wait.ts";

// Each case starts criproxy (and python3 or a runtime): seconds apiece on a loaded 2-core machine, so 20 s each.
describe("the listening socket", () => {
  test("its directory is created, and the socket is 0660 from the start", async () => {
    const tmp = tempDir();
    const socket = join(tmp.dir, "nested", "dir", "criproxy.sock");
    const proxy = await startProxy(["--connect", tempSocket("absent")], { socket });
    try {
      expect(statSync(socket).isSocket()).toBe(true);
      expect(statSync(socket).mode & 0o777).toBe(0o660);
    } finally {
      await proxy.stop();
      tmp.remove();
    }
  }, 20_000);

  test("a stale socket left by a crash is replaced", async () => {
    const tmp = tempDir();
    const socket = join(tmp.dir, "criproxy.sock");
    // A bound socket whose process is gone: exactly what a crash leaves.
    execFileSync("python3", [
      "-c",
      `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(socket)})`,
    ]);
    expect(statSync(socket).isSocket()).toBe(true);
    const fake = await startFakeRuntime({ socket: tempSocket("stale-rt") });
    const proxy = await startProxy(["--connect", fake.socket], { socket });
    const client = criClient(socket);
    try {
      expect(await client.call("Version")).toMatchObject({ runtimeName: "fake" });
    } finally {
      client.close();
      await proxy.stop();
      await fake.stop();
      tmp.remove();
    }
  }, 20_000);

  test("anything else at the path is refused, and left untouched", async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, "precious.txt");
    writeFileSync(path, "do not delete");
    try {
      const run = Bun.spawn([process.execPath, cliEntry, "--connect", tempSocket("x"), "--listen", path], {
        stderr: "pipe",
      });
      expect(await run.exited).toBe(1);
      expect(await new Response(run.stderr).text()).toContain("is not a socket; refusing to remove it");
      expect(readFileSync(path, "utf8")).toBe("do not delete");
    } finally {
      tmp.remove();
    }
  }, 20_000);
});

test("SIGTERM lets an in-flight call finish, removes the socket and exits 0", async () => {
  const fake = await startFakeRuntime({ socket: tempSocket("term-rt"), pods: 2 });
  const proxy = await startProxy(["--connect", fake.socket]);
  const client = criClient(proxy.socket);
  try {
    await client.call("Version");
    fake.setDelay("ListContainers", 2000);
    let answered = false;
    const inflight = client.call<{ containers: unknown[] }>("ListContainers").finally(() => (answered = true));
    // The call is in flight once the runtime has it; SIGTERM is sent then, and taken while it still is.
    await waitFor(() => fake.calls.some((c) => c.method === "ListContainers"), 8000, "the call reached the runtime");
    const code = proxy.stop();
    await waitFor(() => proxy.log().includes("SIGTERM: stopping"), 8000, "the proxy took SIGTERM");
    expect(answered).toBe(false);
    expect((await inflight).containers.length).toBe(8);
    expect(await code).toBe(0);
    expect(existsSync(proxy.socket)).toBe(false);
  } finally {
    client.close();
    await proxy.stop();
    await fake.stop();
  }
}, 15_000);

test("a runtime that dies makes calls fail Unavailable within --connect-timeout, and works again when it returns", async () => {
  const socket = tempSocket("dying-rt");
  let fake = await startFakeRuntime({ socket, pods: 1 });
  const proxy = await startProxy(["--connect", socket, "--connect-timeout", "500ms"]);
  const client = criClient(proxy.socket);
  try {
    expect(await client.call("Version")).toMatchObject({ runtimeName: "fake" });
    await fake.stop();
    const started = Date.now();
    const failed = await codeOf(client.call("ListPodSandbox"));
    expect(failed).toMatchObject({ code: grpcStatus.UNAVAILABLE });
    expect((failed as { details: string }).details).toContain(socket);
    expect(Date.now() - started).toBeLessThan(2000);

    fake = await startFakeRuntime({ socket, pods: 2 });
    let answer: { items: unknown[] } | undefined;
    await waitFor(
      async () => (answer = await client.call<{ items: unknown[] }>("ListPodSandbox")) !== undefined,
      5000,
      "the runtime answers again",
    );
    expect(answer?.items.length).toBe(2);
  } finally {
    client.close();
    await proxy.stop();
    await fake.stop();
  }
}, 20_000);

test("a primary that is not there at start: the proxy serves at once and calls fail Unavailable naming it", async () => {
  const socket = tempSocket("never");
  const proxy = await startProxy(["--connect", `unix://${socket}`, "--connect-timeout", "300ms"]);
  const client = criClient(proxy.socket);
  try {
    const failed = await codeOf(client.call("Version"));
    expect(failed).toMatchObject({ code: grpcStatus.UNAVAILABLE });
    expect((failed as { details: string }).details).toContain(`unix://${socket}`);
  } finally {
    client.close();
    await proxy.stop();
  }
}, 20_000);

test("garbage on the socket closes that connection only", async () => {
  const fake = await startFakeRuntime({ socket: tempSocket("junk-rt") });
  const proxy = await startProxy(["--connect", fake.socket]);
  const client = criClient(proxy.socket);
  try {
    for (const junk of [
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04garbage",
      "\x16\x03\x01\x02\x00\x01",
    ]) {
      await new Promise<void>((resolve) => {
        const s = connect(proxy.socket, () => s.end(junk));
        s.on("close", () => resolve());
        s.on("error", () => resolve());
        s.resume();
      });
    }
    expect(await client.call("Version")).toMatchObject({ runtimeName: "fake" });
    expect(proxy.proc.exitCode).toBeNull();
  } finally {
    client.close();
    await proxy.stop();
    await fake.stop();
  }
}, 20_000);
