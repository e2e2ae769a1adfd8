// Memory under two hostile loads (issue: "Measure RSS with 100 stuck readers and with 64
// concurrent 8 MiB answers"), against the compiled proxy on default flags and a grpc-go runtime
// whose ListContainers answer is 8 MiB:
//   - 64 concurrent 8 MiB answers to a grpc-go client (kubelet's library): how many pass, the
//     proxy's high-water and resident size after, and 5 s later;
//   - 100 stuck readers: one connection opens 100 such calls and never reads (its windows stay
//     shut); resident size while they hang, and once they are gone.
//   bun bench/stress-memory.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectH2 } from "../src/h2/endpoint.ts";
import { grpcGoClient } from "../test/support/grpc-go.ts";
import { startGrpcGoRuntime } from "../test/support/grpc-go-runtime.ts";
import {
  buildArtifacts,
  installCleanup,
  memoryMB as mem,
  proxyCommand,
  startProxy,
  stop,
  stopAll,
  track,
} from "./procs.ts";

const MiB = 1024 * 1024;
const LIST = "/runtime.v1.RuntimeService/ListContainers";
const mb = (n: number) => `${n.toFixed(1)} MB`;

installCleanup();
const dir = mkdtempSync(join(tmpdir(), "criproxy-stress-"));
try {
  const artifacts = await buildArtifacts(dir);
  // Tracked, so stopAll stops it too when a step below throws.
  const runtime = await startGrpcGoRuntime({
    socket: join(dir, "rt.sock"),
    containers: 200,
    listContainersBytes: 8 * MiB,
    onSpawn: track,
  });
  const client = await grpcGoClient();

  // 64 concurrent 8 MiB answers.
  const a = await startProxy(
    proxyCommand("compiled", artifacts, false),
    `unix://${runtime.socket}`,
    join(dir, "a.sock"),
  );
  await client(a.socket, [{ method: LIST }]); // warm
  const before = mem(a.proc.pid);
  const t0 = performance.now();
  const [r] = await client(a.socket, [{ method: LIST, parallel: 64, repeat: 1 }]);
  const took = performance.now() - t0;
  const after = mem(a.proc.pid);
  await Bun.sleep(5000);
  const later = mem(a.proc.pid);
  console.log(
    `64 concurrent 8 MiB answers: ${r.calls - r.failed}/${r.calls} OK${r.failed ? ` (${r.failed} failed: code ${r.code} ${r.message})` : ""} in ${(took / 1000).toFixed(2)} s`,
  );
  console.log(
    `  RSS before ${mb(before.rss)}, after ${mb(after.rss)}, 5 s later ${mb(later.rss)}; high-water ${mb(after.peak)}`,
  );
  await stop(a.proc);

  // 100 stuck readers on one connection.
  const b = await startProxy(
    proxyCommand("compiled", artifacts, false),
    `unix://${runtime.socket}`,
    join(dir, "b.sock"),
  );
  await client(b.socket, [{ method: LIST }]); // warm
  const start = mem(b.proc.pid);
  const conn = await connectH2(b.socket, {
    streamWindow: 65535,
    connectionWindow: 65535,
    maxHeaderListSize: 65536,
    maxConcurrentStreams: 0,
  });
  const body = Buffer.from([0, 0, 0, 0, 0]);
  for (let i = 0; i < 100; i++) {
    const s = conn.request([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", LIST],
      [":authority", "localhost"],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
    ]);
    s.pause(); // reads nothing: no window is ever returned
    void s.write(body).catch(() => {});
    s.end();
  }
  await Bun.sleep(4000);
  const stuck = mem(b.proc.pid);
  const version = await client(b.socket, [{ method: "/runtime.v1.RuntimeService/Version" }]);
  conn.destroy();
  await Bun.sleep(3000);
  const gone = mem(b.proc.pid);
  console.log(
    `100 stuck readers of 8 MiB answers: RSS before ${mb(start.rss)}, while stuck ${mb(stuck.rss)} (high-water ${mb(stuck.peak)}), 3 s after they left ${mb(gone.rss)}; Version meanwhile: code ${version[0].code}`,
  );
  await stop(b.proc);
  await runtime.stop();
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
