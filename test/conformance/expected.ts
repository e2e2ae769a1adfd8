// Reads expected-failures.json: the known differences, each with its reason, kept in one file so
// that the fix that removes a difference also empties its entry.
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface Entry {
  runs?: string[];
  checks?: string[];
  specs?: string[];
  reason: string;
  /** Text critest's failure message must contain for the difference to count as this one. */
  error?: string;
}

export interface Expected {
  reason: string;
  error?: string;
}

const file = join(import.meta.dir, "expected-failures.json");
const data = JSON.parse(readFileSync(file, "utf8")) as { critest: Entry[]; kubelet: Entry[] };

/** run -> spec -> why it may differ */
export function expectedCritest(): Map<string, Map<string, Expected>> {
  const out = new Map<string, Map<string, Expected>>();
  for (const e of data.critest) {
    for (const run of e.runs ?? []) {
      const m = out.get(run) ?? new Map<string, Expected>();
      for (const spec of e.specs ?? []) m.set(spec, { reason: e.reason, error: e.error });
      out.set(run, m);
    }
  }
  return out;
}

/** kubelet check name -> reason */
export function expectedKubelet(): Map<string, string> {
  return new Map(data.kubelet.flatMap((e) => (e.checks ?? []).map((c) => [c, e.reason] as const)));
}

// `bun expected.ts kubelet`: the kubelet checks expected to fail, one per line (for kubelet.sh)
if (import.meta.main && process.argv[2] === "kubelet") for (const c of expectedKubelet().keys()) console.log(c);
