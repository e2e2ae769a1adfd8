// Compares critest runs spec by spec with the direct run, against expected-failures.json.
// usage: bun compare-critest.ts JOBDIR direct RUN...   (JOBDIR/RUN/report.json: ginkgo's JSON report, JOBDIR/RUN/wall)
// Counts per spec and run: direct's own outcome (a failure must be listed as expected for "direct");
// every other run's outcome must equal direct's (a difference must be listed for that run). A listed
// spec that behaves is reported as "now passes: remove it from the list" and counted passed, so the
// list shrinks when a fix lands but never fails CI. Expected failures are counted skipped, as are
// specs critest skips and specs that fail directly too. Ends with "N passed, N failed, N skipped".
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expectedCritest } from "./expected.ts";

interface Spec {
  state: string;
  message: string;
}

function load(dir: string): Map<string, Spec> | undefined {
  const file = join(dir, "report.json");
  if (!existsSync(file)) return undefined;
  const [report] = JSON.parse(readFileSync(file, "utf8")) as { SpecReports?: Record<string, any>[] }[];
  const specs = new Map<string, Spec>();
  for (const s of report?.SpecReports ?? []) {
    if (s.LeafNodeType !== "It") continue;
    const name = [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText ?? ""].join(" ");
    specs.set(name, { state: s.State, message: (s.Failure?.Message ?? "").trim() });
  }
  return specs;
}

const [job, ...runs] = process.argv.slice(2);
if (!job || runs[0] !== "direct") {
  console.error("usage: bun compare-critest.ts JOBDIR direct [RUN...]");
  process.exit(2);
}
const expected = expectedCritest();
const totals = { passed: 0, failed: 0, skipped: 0 };
const skippedAs = { critest: 0, expected: 0, failsDirectlyToo: 0 };
const failures: string[] = [];
const nowPassing: string[] = [];
const rows: string[] = [
  "| run | passed | failed | skipped | same as direct | differs (expected) | wall s | CPU s |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
];
const direct = load(join(job, "direct"));

for (const run of runs) {
  const specs = load(join(job, run));
  const file = (f: string) => (existsSync(join(job, run, f)) ? readFileSync(join(job, run, f), "utf8").trim() : "?");
  const wall = `${file("wall")} | ${file("cpu")}`;
  if (!specs || specs.size === 0 || !direct) {
    totals.failed++;
    failures.push(`${run}: no critest report (see ${join(job, run, "logs")})`);
    rows.push(`| ${run} | - | - | - | - | - | ${wall} |`);
    continue;
  }
  const own = { passed: 0, failed: 0, skipped: 0 } as Record<string, number>;
  let same = 0;
  let xfail = 0;
  for (const name of new Set([...direct.keys(), ...specs.keys()])) {
    const s = specs.get(name);
    const state = s?.state ?? "missing";
    if (s) own[state] = (own[state] ?? 0) + 1;
    const listed = expected.get(run)?.get(name);
    // listed, but failing with another error than the one it is listed for: a new difference
    const other = listed?.error && s?.state === "failed" && !s.message.includes(listed.error);
    const reason = other ? undefined : listed?.reason;
    // direct is judged on its own (a failure must be known); every other run against direct
    const ok = run === "direct" ? state === "passed" || state === "skipped" : state === direct.get(name)?.state;
    if (ok) {
      same++;
      if (listed) nowPassing.push(`${run}: ${name}`);
      if (state === "passed" || listed) totals.passed++;
      else {
        totals.skipped++;
        if (state === "skipped") skippedAs.critest++;
        else skippedAs.failsDirectlyToo++;
      }
    } else if (reason) {
      xfail++;
      totals.skipped++;
      skippedAs.expected++;
    } else {
      totals.failed++;
      const was =
        (run === "direct" ? "" : ` (direct: ${direct.get(name)?.state ?? "missing"})`) +
        (other ? ` (listed in expected-failures.json for "${listed?.error}", not this error)` : "");
      failures.push(
        `${run}: [${state}]${was} ${name}\n    ${(s?.message ?? "").slice(0, 600).replaceAll("\n", "\n    ")}`,
      );
    }
  }
  rows.push(
    `| ${run} | ${own.passed ?? 0} | ${own.failed ?? 0} | ${own.skipped ?? 0} | ${same} | ${xfail} | ${wall} |`,
  );
}

console.log(rows.join("\n"));
if (nowPassing.length) {
  console.log(`\nlisted in expected-failures.json but now as direct (remove them from the list):`);
  for (const n of nowPassing) console.log(`  ${n}`);
}
if (failures.length) {
  console.log(`\nFAILED: specs whose outcome differs from direct (or that fail directly), with critest's error:`);
  for (const f of failures) console.log(`  ${f}`);
}
console.log(
  `skipped: ${skippedAs.critest} skipped by critest, ${skippedAs.expected} expected failures (expected-failures.json), ${skippedAs.failsDirectlyToo} failing directly too`,
);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed ? 1 : 0);
