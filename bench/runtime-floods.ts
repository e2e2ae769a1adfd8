// `bun bench/runtime-floods.ts [--seconds 5] [--only ping,rst,...]`: every HTTP/2 flood a named
// runtime can send at criproxy (test/support/runtime-floods.ts), as a table: criproxy's RSS
// before and at its peak, when it closed the runtime's connection, how many connections the
// runtime got, and the good grpc-go client's calls to the primary (Version every 100 ms).
import { parseArgs } from "node:util";
import { RUNTIME_ATTACKS, runtimeFlood, type RuntimeAttack } from "../test/support/runtime-floods.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "5" }, only: { type: "string" } },
  strict: true,
});
const attacks = (values.only?.split(",") ?? RUNTIME_ATTACKS) as RuntimeAttack[];
console.log(
  "| attack (from runtime vm) | RSS before → peak (MB) | runtime's connection closed after | connections | good client (primary Version) | its p99 with no flood |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const attack of attacks) {
  const r = await runtimeFlood(attack, Number(values.seconds), 100);
  const failed = Object.entries(r.good.codes)
    .filter(([c]) => c !== "OK")
    .map(([c, n]) => `${n} ${c}`);
  const good = `${r.good.ok}/${r.good.calls} ok${failed.length ? ` (${failed.join(", ")})` : ""}, p99 ${r.good.p99Ms.toFixed(0)} ms`;
  const closed = r.closedAfterMs < 0 ? "not closed" : `${r.closedAfterMs.toFixed(0)} ms`;
  console.log(
    `| ${attack} | ${r.rssBeforeMB.toFixed(0)} → ${r.rssPeakMB.toFixed(0)} | ${closed} | ${r.connections} | ${good} | ${r.quietP99Ms.toFixed(0)} ms |`,
  );
}
process.exit(0);
