// Many large answers at once: Bun's node:http2 counts queued bytes against maxSessionMemory
// (10 MB by default) and then resets streams; the proxy's sessions must have room.
// Without the setting, about a third of these calls failed here ("HTTP 0" with a Bun client).
import { expect, test } from "bun:test";
import { spawnFakeProcess } from "../support/fake-process.ts";
import { connectClients } from "../support/connect-client.ts";
import { criClient } from "../support/grpc-client.ts";
import { startProxy } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";

test("64 concurrent ListContainers of 960 containers (~0.85 MB each) all answer in full, to grpc-js and to a Bun client", async () => {
  const fake = await spawnFakeProcess({ socket: tempSocket("big-rt"), pods: 240 });
  const proxy = await startProxy(["--connect", fake.socket]);
  const grpcJs = criClient(proxy.socket);
  const bun = connectClients(proxy.socket);
  try {
    const count = (p: Promise<{ containers: unknown[] }>) =>
      p.then(
        (a) => a.containers.length,
        (e: Error) => `failed: ${e.message}`,
      );
    for (let round = 0; round < 2; round++) {
      const viaGrpcJs = await Promise.all(Array.from({ length: 64 }, () => count(grpcJs.call("ListContainers"))));
      const viaBun = await Promise.all(Array.from({ length: 64 }, () => count(bun.runtime.listContainers({}))));
      expect([...viaGrpcJs, ...viaBun]).toEqual(Array(128).fill(960));
    }
  } finally {
    grpcJs.close();
    bun.close();
    await proxy.stop();
    await fake.kill();
  }
}, 30_000);
