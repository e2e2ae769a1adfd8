// The flood table of issue 17, reproducible with one command: each HTTP/2 flood for N seconds
// at a fresh criproxy (its fake runtime behind it) while a grpc-go client calls Version every
// 100 ms with a 2 s deadline; RSS before -> peak, whether (and when) the attacker was cut off,
// and the good client's calls.
//   bun bench/floods.ts [--seconds 15] [--entry OTHER_CHECKOUT/src/cli/main.ts] [--only rapid-reset,ping]
import { parseArgs } from "node:util";
import { startFakeRuntime } from "../src/fake/runtime.ts";
import { ATTACKS, flood, idleConnections, type FloodResult } from "../test/support/floods.ts";
import { startProxy } from "../test/support/proxy-process.ts";
import { tempSocket } from "../test/support/temp-socket.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "15" }, entry: { type: "string" }, only: { type: "string" } },
});
const seconds = Number(values.seconds);
const only = values.only?.split(",");
const rows: FloodResult[] = [];
console.log(`| attack (${seconds} s) | criproxy RSS before → peak (MiB) | attacker closed? | good client |`);
console.log("| --- | --- | --- | --- |");
for (const attack of [...ATTACKS, "idle-connections" as const]) {
  if (only && !only.includes(attack)) continue;
  const fake = await startFakeRuntime({ socket: tempSocket("flood-rt") });
  const proxy = await startProxy(["--connect", fake.socket], values.entry ? { entry: values.entry } : {});
  try {
    const pid = proxy.proc.pid!;
    const r =
      attack === "idle-connections"
        ? await idleConnections(proxy.socket, pid, 300, 2)
        : await flood(proxy.socket, pid, attack, seconds);
    rows.push(r);
    const closed =
      attack === "idle-connections"
        ? `${(r as { held?: number }).held} held`
        : r.closedAfterMs >= 0
          ? `yes, after ${r.closedAfterMs.toFixed(0)} ms`
          : "no";
    const g = r.good;
    const codes = Object.entries(g.codes ?? {})
      .filter(([c]) => c !== "OK")
      .map(([c, n]) => `${n} ${c}`);
    const good = g.error
      ? `no connection: ${g.error}`
      : `${g.ok}/${g.calls} ok${codes.length ? ` (${codes.join(", ")})` : ""}, p99 ${g.p99Ms.toFixed(1)} ms`;
    console.log(`| ${attack} | ${r.rssBeforeMB.toFixed(0)} → ${r.rssPeakMB.toFixed(0)} | ${closed} | ${good} |`);
  } finally {
    await proxy.stop();
    await fake.stop();
  }
}
