// How calls fare when the primary runtime dies under a running proxy and comes back:
//   bun bench/runtime-restart.ts
// Prints each call's outcome and time after a SIGKILL of the runtime (--connect-timeout 2s),
// and how soon after the runtime's restart a call answers again, with no proxy restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { criClient } from "../test/support/grpc-client.ts";

const dir = mkdtempSync(join(tmpdir(), "criproxy-restart-"));
const runtime = join(dir, "runtime.sock");
const listen = join(dir, "criproxy.sock");
const root = join(import.meta.dir, "..");
const startRuntime = () =>
  Bun.spawn([process.execPath, join(root, "test/fake/main.ts"), "--socket", runtime, "--pods", "2"], {
    stdout: "ignore",
  });
const waitFor = async (check: () => Promise<boolean>) => {
  while (!(await check().catch(() => false))) await Bun.sleep(20);
};

let fake = startRuntime();
const proxy = Bun.spawn(
  [
    process.execPath,
    join(root, "src/cli/main.ts"),
    "--connect",
    runtime,
    "--listen",
    listen,
    "--connect-timeout",
    "2s",
  ],
  { stderr: "ignore" },
);
const kubelet = criClient(listen);
try {
  await waitFor(async () => (await kubelet.call<{ items: unknown[] }>("ListPodSandbox")).items.length === 2);
  fake.kill("SIGKILL");
  await fake.exited;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const outcome = await kubelet.call("ListPodSandbox").then(
      () => "answered",
      (e: { code: number; details: string }) => `code ${e.code}: ${e.details}`,
    );
    console.log(`call ${i + 1} after the runtime's SIGKILL: ${outcome} (${(performance.now() - t0).toFixed(0)} ms)`);
  }
  fake = startRuntime();
  const t1 = performance.now();
  await waitFor(async () => (await kubelet.call<{ items: unknown[] }>("ListPodSandbox")).items.length === 2);
  console.log(
    `answered again ${(performance.now() - t1).toFixed(0)} ms after the runtime was started again (its own start included)`,
  );
} finally {
  kubelet.close();
  proxy.kill();
  fake.kill();
  await Promise.all([proxy.exited, fake.exited]);
  rmSync(dir, { recursive: true, force: true });
}
