// Micro-benchmark: toKubeletWire vs fromBinary → toKubelet → toBinary on ListContainers
// answers of believable containers (src/fake/fixtures.ts).
//   bun bench/wire-rewrite.ts [--rounds 15] [--ms 200]
// Rounds alternate the two paths; each prints the median over rounds of µs per call.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { parseArgs } from "node:util";
import { toKubelet } from "../src/core/rewrite.ts";
import { routingTable } from "../src/core/routing-table.ts";
import { toKubeletWire } from "../src/core/wire-rewrite.ts";
import { containerFixture, sandboxFixture } from "../src/fake/fixtures.ts";
import { ListContainersResponseSchema as Schema } from "../src/gen/runtime/v1/api_pb.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "15" }, ms: { type: "string", default: "200" } },
  strict: true,
});
const rounds = Number(values.rounds);
const roundMs = Number(values.ms);
const table = routingTable(["vm"], { kata: { backend: "vm", handler: "kata-fc" } });

/** A ListContainersResponse of n containers, 4 per pod, encoded. */
function answer(n: number): Uint8Array {
  const containers = [];
  for (let i = 0; i < n; i++) {
    const pod = sandboxFixture(i >> 2, "kata-fc", 1_700_000_000_000_000_000n);
    containers.push(containerFixture(pod, i & 3, 1_700_000_000_100_000_000n).container);
  }
  return toBinary(Schema, { $typeName: "runtime.v1.ListContainersResponse", containers });
}

const paths: Record<string, (bytes: Uint8Array) => Uint8Array> = {
  wire: (bytes) => toKubeletWire(Schema, bytes, "vm", table),
  decode: (bytes) => toBinary(Schema, toKubelet(Schema, fromBinary(Schema, bytes), "vm", table)),
};

/** µs per call of f over about roundMs. */
function time(f: (bytes: Uint8Array) => Uint8Array, bytes: Uint8Array): number {
  Bun.gc(true); // the other path's garbage is not this round's to collect
  let calls = 0;
  let sink = 0;
  const start = Bun.nanoseconds();
  const until = start + roundMs * 1e6;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 10; i++) sink += f(bytes).length;
    calls += 10;
    now = Bun.nanoseconds();
  }
  if (sink === 0) throw new Error("nothing rewritten");
  return (now - start) / 1e3 / calls;
}

for (const n of [100, 1000]) {
  const bytes = answer(n);
  const same = Buffer.from(paths.wire(bytes)).equals(Buffer.from(paths.decode(bytes)));
  const samples: Record<string, number[]> = { wire: [], decode: [] };
  for (const name in paths) time(paths[name], bytes); // warm-up
  for (let r = 0; r < rounds; r++) for (const name in paths) samples[name].push(time(paths[name], bytes));
  const wire = median(samples.wire);
  const decode = median(samples.decode);
  console.log(
    `${n} containers, ${(bytes.length / 1024).toFixed(1)} KB: toKubeletWire ${wire.toFixed(1)} µs/call, ` +
      `decode+toKubelet+encode ${decode.toFixed(1)} µs/call, ${(decode / wire).toFixed(1)}x faster, identical bytes: ${same}`,
  );
}
