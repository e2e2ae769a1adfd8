// A fake runtime as its own process for fault tests: killed with SIGKILL and started again, it
// comes back with the same pods (ids derive from --seed), as a real runtime's pods survive it.
//   bun test/faults/fake-runtime-main.ts --socket PATH --seed S [--pods N] [--containers-per-pod N] [--name NAME] [--delay METHOD=MS]...
// Prints `ready PATH` once serving, then `call METHOD` as each call arrives (tests wait on them).
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { prefill } from "../../src/fake/fixtures.ts";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { emptyState, type FakeState } from "../../src/fake/state.ts";

const { values } = parseArgs({
  options: {
    socket: { type: "string" },
    seed: { type: "string", default: "seed" },
    pods: { type: "string", default: "0" },
    "containers-per-pod": { type: "string", default: "2" },
    name: { type: "string", default: "fake" },
    delay: { type: "string", multiple: true, default: [] },
  },
  strict: true,
});
if (!values.socket) throw new Error("--socket is required");

const state = emptyState();
prefill(state, Number(values.pods), Number(values["containers-per-pod"]), 0, "");
reId(state, values.seed!);
const fake = await startFakeRuntime({ socket: values.socket, runtimeName: values.name, state });
for (const d of values.delay!) {
  const [method, ms] = d.split("=");
  fake.setDelay(method, Number(ms));
}
const record = fake.calls.push.bind(fake.calls);
fake.calls.push = (...calls) => {
  for (const c of calls) console.log(`call ${c.method}`);
  return record(...calls);
};
console.log(`ready ${fake.socket}`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, async () => {
    await fake.stop();
    process.exit(0);
  });
}

// Ids from the seed and the object's place, so a restarted runtime lists the same objects.
function reId(s: FakeState, seed: string): void {
  const id = (what: string) => createHash("sha256").update(`${seed}:${what}`).digest("hex");
  const sandboxes = [...s.sandboxes.values()];
  const containers = [...s.containers.values()];
  s.sandboxes.clear();
  s.containers.clear();
  const podIds = new Map<string, string>();
  sandboxes.forEach((p, i) => {
    const next = id(`pod${i}`);
    podIds.set(p.sandbox.id, next);
    p.sandbox.id = next;
    s.sandboxes.set(next, p);
  });
  containers.forEach((c, i) => {
    c.container.id = id(`ctr${i}`);
    c.container.podSandboxId = podIds.get(c.container.podSandboxId)!;
    s.containers.set(c.container.id, c);
  });
}
