// One fault case: set a misbehaviour, make kubelet's call, and record what kubelet saw and when.
import { expect } from "bun:test";
import { appendFileSync } from "node:fs";
import type { Behaviour, Outcome } from "./behaviour.ts";
import type { Topology } from "./topology.ts";

/** How long after a call the runtime may still hold its stream (the proxy's cancel in flight). */
const SETTLE_MS = 1500;

export interface Seen<T> {
  /** The call's gRPC code (0: OK) and message. */
  readonly code: number;
  readonly details: string;
  readonly result: T | undefined;
  /** Milliseconds from the call to its outcome. */
  readonly ms: number;
  /** Requests the hostile runtime got on the faulty path during the call (0: the fault was never met). */
  readonly reached: number;
  /** Streams the hostile runtime still had open after the call ended and a settle. */
  readonly leftOpen: number;
  /** What the proxy logged during the case. */
  readonly log: string;
  /** The grpc-message the runtime sent, for a status behaviour (made unique per case). */
  readonly sentMessage?: string;
}

/** Sets `behaviour` on `path`, runs `call`, clears the behaviour and returns what happened. */
export async function provoke<T>(
  topo: Topology,
  path: string,
  behaviour: Behaviour,
  call: () => Promise<T>,
): Promise<Seen<T>> {
  const mark = topo.proxy.log().length;
  const before = await topo.hostile.count(path);
  // A unique message per case: the proxy's repeat limiter would fold a message seen before.
  const status =
    behaviour.action === "status"
      ? { ...behaviour, message: `${behaviour.message} [case ${letters(++cases)}]` }
      : undefined;
  const sentMessage = status?.message;
  await topo.hostile.behave(path, status ?? behaviour);
  const started = performance.now();
  let code = 0;
  let details = "";
  let result: T | undefined;
  try {
    result = await call();
  } catch (e) {
    code = (e as { code?: number }).code ?? -1;
    details = (e as { details?: string }).details ?? String(e);
  }
  const ms = Math.round(performance.now() - started);
  const reached = (await topo.hostile.count(path)) - before;
  await topo.hostile.normal();
  const until = Date.now() + SETTLE_MS;
  let leftOpen = (await topo.hostile.stats()).open;
  while (leftOpen > 0 && Date.now() < until) {
    await Bun.sleep(50);
    leftOpen = (await topo.hostile.stats()).open;
  }
  return { code, details, result, ms, reached, leftOpen, log: await logUntilNow(topo, mark), sentMessage };
}

let marks = 0;
let cases = 0;

/** A number in letters (the repeat limiter takes lines that differ in digits for the same line). */
function letters(n: number): string {
  return [...n.toString(26)].map((c) => String.fromCharCode(97 + parseInt(c, 26))).join("");
}

/**
 * The proxy's log from `mark` up to now. Its stderr arrives apart from its answers, so a call
 * the proxy refuses with a line naming a fresh marker (an unknown runtime, logged at -v 2) is
 * the barrier: once the marker is in, every earlier line is.
 */
async function logUntilNow(topo: Topology, mark: number): Promise<string> {
  const marker = `log-mark-${letters(++marks)}`;
  const kubelet = topo.kubelet(3000);
  const pod = {
    metadata: { name: marker, uid: marker, namespace: "mark" },
    annotations: { "kubernetes.io/target-runtime": marker },
  };
  await kubelet.call("RunPodSandbox", { config: pod }).catch(() => {});
  kubelet.close();
  const until = Date.now() + 1000;
  while (!topo.proxy.log().includes(marker) && Date.now() < until) await Bun.sleep(10);
  const log = topo.proxy.log();
  const end = log.indexOf(marker, mark);
  return log.slice(mark, end < 0 ? undefined : end);
}

/** Prompt answer bound for a fault that is not a stall (generous for a loaded 2-core CI machine). */
export const PROMPT_MS = 2000;
/** kubelet's deadline in stall cases where the deadline is what ends the call. */
export const STALL_DEADLINE_MS = 2000;
/** Bound for a named runtime's stall in a fan-out: its budget (topology.ts, 2 s), well under kubelet's 10 s here. */
export const BUDGET_BOUND_MS = 4000;

/** Records the case for the report table when HOSTILE_TABLE names a file (one JSON line per case). */
export function record(row: {
  kind: string;
  position: string;
  name: string;
  seen: Seen<unknown>;
  expected: string;
}): void {
  const file = process.env.HOSTILE_TABLE;
  if (!file) return;
  const { code, ms, reached, leftOpen, details } = row.seen;
  const unexpected = /unexpected failure/.test(row.seen.log);
  appendFileSync(
    file,
    `${JSON.stringify({ kind: row.kind, position: row.position, name: row.name, expected: row.expected, code, ms, reached, leftOpen, unexpected, details: details.slice(0, 160) })}\n`,
  );
}

/** The checks every case shares: the fault was met, no stream leaked, no runtime failure logged as the proxy's own. */
export function expectContained(seen: Seen<unknown>): void {
  expect(seen.reached, "the hostile runtime got the call (the fault was exercised)").toBeGreaterThan(0);
  expect(seen.leftOpen, "streams the runtime still had open after the call ended").toBe(0);
  expect(seen.log).not.toMatch(/unexpected failure/);
}

/** Checks an outcome against the expected one: code, message, and time. */
export function expectOutcome(seen: Seen<unknown>, outcome: Outcome, label: string, deadlineMs: number): void {
  expect(seen.code, `gRPC code (message: ${seen.details})`).toBeOneOf(outcome.codes as readonly number[]);
  if (seen.code !== 0 && outcome.namesRuntime) expect(seen.details).toMatch(new RegExp(`\\b${label}\\b`));
  if (seen.code !== 0 && outcome.message !== undefined) expect(seen.details).toBe(seen.sentMessage ?? outcome.message);
  if (outcome.stall) {
    expect(seen.ms).toBeGreaterThanOrEqual(deadlineMs - 100);
    expect(seen.ms).toBeLessThan(deadlineMs + 1000);
  } else {
    expect(seen.ms).toBeLessThan(PROMPT_MS);
  }
}

/** Describes an outcome for the report ("OK", "Unavailable|OK", ...). */
export function describeOutcome(codes: readonly number[]): string {
  const names: Record<number, string> = {
    0: "OK",
    2: "Unknown",
    4: "DeadlineExceeded",
    5: "NotFound",
    8: "ResourceExhausted",
    12: "Unimplemented",
    13: "Internal",
    14: "Unavailable",
  };
  return codes.map((c) => names[c] ?? String(c)).join("|");
}
