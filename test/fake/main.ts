// The fake runtime (src/fake) as its own process, for benchmarks and kill tests:
//   bun test/fake/main.ts --socket PATH [--pods N] [--containers-per-pod 4] [--name NAME] [--images N] [--handlers a,b]
// Prints `ready PATH` on stdout once serving; SIGTERM/SIGINT stop it cleanly (exit 0).
import { parseArgs } from "node:util";
import { startFakeRuntime } from "../../src/fake/runtime.ts";

const { values } = parseArgs({
  options: {
    socket: { type: "string" },
    pods: { type: "string", default: "0" },
    "containers-per-pod": { type: "string", default: "4" },
    name: { type: "string", default: "fake" },
    images: { type: "string", default: "0" },
    handlers: { type: "string" },
  },
  strict: true,
});
if (!values.socket) {
  console.error(
    "usage: bun test/fake/main.ts --socket PATH [--pods N] [--containers-per-pod N] [--name NAME] [--images N] [--handlers a,b]",
  );
  process.exit(2);
}

const fake = await startFakeRuntime({
  socket: values.socket,
  runtimeName: values.name,
  pods: Number(values.pods),
  containersPerPod: Number(values["containers-per-pod"]),
  images: Number(values.images),
  handlers: values.handlers === undefined ? undefined : values.handlers.split(","),
});
console.log(`ready ${fake.socket}`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, async () => {
    await fake.stop();
    process.exit(0);
  });
}
