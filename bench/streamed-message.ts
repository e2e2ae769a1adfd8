// `bun bench/streamed-message.ts [--mib 16] [--chunk-kib 16] [--runs 5] [--src DIR]`: one streamed
// message of --mib MiB split into messages by grpc/envelope.ts's EnvelopeReader as HTTP/2 hands it
// over (--chunk-kib pieces, one per loop turn, as socket reads arrive). Prints the total time of
// the pushes and the longest single push (the longest the event loop is blocked), in wall-clock
// time and in CPU time (on a busy machine the wall clock also counts time the process was preempted). --src reads the
// reader from another checkout (a worktree of an older commit) to compare before and after.
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "16" },
    "chunk-kib": { type: "string", default: "16" },
    runs: { type: "string", default: "5" },
    src: { type: "string" },
  },
  strict: true,
});
const root = values.src ? resolve(values.src) : resolve(import.meta.dir, "..");
const { EnvelopeReader } = (await import(`${root}/src/grpc/envelope.ts`)) as typeof import("../src/grpc/envelope.ts");

const size = Number(values.mib) * 1024 * 1024 - 5; // the 16 MiB limit counts the message, not its prefix
const chunk = Number(values["chunk-kib"]) * 1024;
const body = Buffer.alloc(size + 5, 1);
body.writeUInt32BE(size, 1);
body[0] = 0;

for (let run = 0; run < Number(values.runs); run++) {
  const reader = new EnvelopeReader("bench");
  let total = 0;
  let longest = 0;
  let longestCpu = 0;
  let totalCpu = 0;
  let got = 0;
  for (let at = 0; at < body.length; at += chunk) {
    await new Promise((r) => setImmediate(r)); // one socket read per loop turn
    const t = performance.now();
    const cpu = process.cpuUsage();
    got += reader.push(body.subarray(at, at + chunk)).length;
    const took = performance.now() - t;
    const used = process.cpuUsage(cpu);
    total += took;
    longest = Math.max(longest, took);
    longestCpu = Math.max(longestCpu, (used.user + used.system) / 1000);
    totalCpu += (used.user + used.system) / 1000;
  }
  if (got !== 1) throw new Error(`expected one message, got ${got}`);
  console.log(
    JSON.stringify({
      mib: Number(values.mib),
      chunkKiB: chunk / 1024,
      pushMs: Math.round(total * 10) / 10,
      pushCpuMs: Math.round(totalCpu * 10) / 10,
      longestBlockMs: Math.round(longest * 10) / 10,
      longestBlockCpuMs: Math.round(longestCpu * 10) / 10,
      src: values.src ? root : "this checkout",
    }),
  );
}
