// `bun run fuzz [--seconds N] [--seed S] [--concurrency C] [--only I]`: throws random and mutated
// HTTP/2 frames, gRPC envelopes and protobuf bodies at criproxy processes for N seconds.
// Prints the seed, the inputs tried, fds and RSS; exits 1 on a violation, naming the input.
import { parseArgs } from "node:util";
import { runFuzz } from "./fuzz-run.ts";

const USAGE = "usage: bun run fuzz [--seconds N] [--seed S] [--concurrency C] [--only INPUT-KIND]";
let values: { seconds: string; seed?: string; concurrency: string; only?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      seconds: { type: "string", default: "60" },
      seed: { type: "string" },
      concurrency: { type: "string", default: "4" },
      only: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }));
} catch (e) {
  console.error(`fuzz: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const number = (flag: string, v: string | undefined, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`fuzz: --${flag} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
};
const seed = values.seed === undefined ? Math.floor(Math.random() * 0x1_0000_0000) : number("seed", values.seed, 0);
const seconds = number("seconds", values.seconds, 1);
const only = values.only === undefined ? undefined : number("only", values.only, 0);
console.log(
  `fuzz: seed ${seed}, ${only === undefined ? `${seconds}s` : `input ${only} only`}, concurrency ${values.concurrency}`,
);

const started = Date.now();
const report = await runFuzz({
  seconds,
  seed,
  only,
  concurrency: number("concurrency", values.concurrency, 1),
  log: (l) => console.log(`fuzz: ${l}`),
});
const kinds = Object.entries(report.byKind)
  .map(([k, n]) => `${k} ${n}`)
  .join(", ");
console.log(
  `fuzz: ${report.inputs} inputs in ${((Date.now() - started) / 1000).toFixed(1)}s (${kinds}); ${report.streamsOwed} streams owed an answer, ${report.statuses} answered with a status, ${report.dropped} dropped with their connection`,
);
for (const t of report.targets) {
  console.log(
    `fuzz: ${t.name}: fds ${t.fds[0]} -> ${t.fds[1]}, RSS ${t.rssMiB[0]} -> ${t.rssMiB[1]} MiB (peak ${t.peakRssMiB}), "unexpected failure" log lines: ${t.unexpectedFailures}`,
  );
  for (const line of t.unexpectedSamples) console.log(`fuzz:   ${line.slice(0, 300)}`);
}
for (const v of report.violations) {
  console.log(`fuzz: VIOLATION: ${v.what}`);
  for (const i of v.inputs) console.log(`fuzz:   ${i}`);
}
console.log(
  `fuzz: seed ${seed}: ${report.violations.length === 0 ? "no violations" : `${report.violations.length} violation(s)`}`,
);
process.exit(report.violations.length === 0 ? 0 : 1);
