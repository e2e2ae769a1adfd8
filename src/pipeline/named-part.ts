// One named runtime's part of a fan-out, decided inside one failure boundary that covers its
// whole answer: the headers, every byte, the size cap, a stall past its budget, decoding and
// rewriting. Whatever fails, the outcome is the policy's (core/fan-out-policy.ts): its live
// part, its last-known part, or nothing — never a failed call for kubelet. The runtime's
// breaker (runtime-breaker.ts) answers at once while it is open: one call pays the budget.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import type { CallOptions } from "../backends/raw-call.ts";
import { type Admission, isMiss } from "../core/breaker-policy.ts";
import { partOutcome, type PartResult } from "../core/fan-out-policy.ts";
import type { Call } from "../grpc/call.ts";
import { apiOf, hasMethod } from "./api-target.ts";
import type { CallContext } from "./call-context.ts";

/** Lists kubelet reads as the truth of what exists: a vanished runtime's last answer stands in. */
const REMEMBERED = new Set(["ListPodSandbox", "ListContainers", "StreamPodSandboxes", "StreamContainers"]);

/** Fetches a runtime's whole answer as its messages (one for a unary call), within `opts`. */
export type Fetch = (backend: Backend, opts: CallOptions) => Promise<Buffer[]>;

/** A named runtime's messages as kubelet must see them, its last-known ones, or undefined (left out). */
export async function namedPart(
  ctx: CallContext,
  call: Call,
  b: Backend,
  fetch: Fetch,
): Promise<readonly Uint8Array[] | undefined> {
  const key = REMEMBERED.has(call.row?.method.name ?? "")
    ? `${call.path}\0${call.request.toString("latin1")}`
    : undefined;
  const breaker = ctx.runtimes.breaker(b.name);
  let result: PartResult;
  let admission: Admission | undefined;
  let episode = 0; // the breaker's, when this part was admitted
  await ctx.joins(b, call);
  if (b.state === "ready" && !hasMethod(call, b)) {
    // Its API has no such method (a v1alpha2 runtime asked for events or metrics): it has nothing to add.
    ctx.log.log(
      5,
      "I",
      "fan-out.ts",
      `${call.path}: runtime ${b.label} left out: it speaks CRI ${apiOf(b)}, which has no such method`,
    );
    return undefined;
  }
  const live = async (opts: CallOptions) => {
    const raw = await fetch(b, opts);
    const parts =
      (key !== undefined ? ctx.lastKnown.rewritten(b.name, key, raw) : undefined) ??
      raw.map((m) => ctx.rewrite.message(call.row, b, m));
    if (key !== undefined) ctx.lastKnown.put(b.name, key, raw, parts);
    return parts;
  };
  if (b.state !== "ready") {
    result = { kind: "absent", state: b.state };
  } else if (({ admission, episode } = breaker.admit()).admission === "skip") {
    result = { kind: "failed", reason: breaker.refusal() ?? "its breaker is open" };
  } else {
    call.routedTo.push(b.label);
    // A part's headers and trailers are not kubelet's: a merged answer carries the primary's (README).
    const opts = { ...ctx.callOptions(call, ctx.budgetMs), answer: undefined };
    // Released when another part trips the breaker: this one would only wait out the same stall.
    const tripped = breaker.tripped;
    const signal = AbortSignal.any([tripped, ...(opts.signal ? [opts.signal] : [])]);
    try {
      const parts = await live({ ...opts, signal });
      breaker.settle(true, "", () => Promise.resolve());
      ctx.runtimes.degraded.live(b.label);
      return parts;
    } catch (e) {
      const err = ConnectError.from(e);
      const why = tripped.aborted ? (breaker.refusal() ?? "its breaker opened") : err.message;
      result = { kind: "failed", reason: why };
      // kubelet went away: nothing to blame on the runtime (a trial is given back, as a miss).
      const gone = call.signal.aborted;
      // The background probe asks the same again, outside this call (its ledger and signal end with it).
      if (!tripped.aborted && (!gone || admission === "trial"))
        breaker.settle(!gone && !isMiss(err.code), why, (deadline) => live({ deadline }), episode);
      if (gone) throw e;
    }
  }
  const memory = key !== undefined ? ctx.lastKnown.get(b.name, key) : undefined;
  const outcome = partOutcome(false, result, memory, ctx.staleGraceMs);
  if (outcome.kind === "last-known") {
    ctx.lastKnown.served++;
    call.span?.add("criproxy.parts.last_known", b.label);
    ctx.runtimes.degraded.served(b.label, outcome.ageMs, outcome.why);
    ctx.log.log(
      4,
      "W",
      "fan-out.ts",
      `${call.path}: runtime ${b.label} left its part unanswered (${outcome.why}); serving its last-known answer (${Math.round(outcome.ageMs / 1000)}s old)`,
    );
    return memory!.parts;
  }
  if (outcome.kind === "left-out") {
    if (memory !== undefined) ctx.lastKnown.forget(b.name, key!);
    call.span?.add("criproxy.parts.left_out", b.label);
    if (key !== undefined) ctx.runtimes.degraded.leftOut(b.label);
    ctx.log.log(
      result.kind === "failed" ? 2 : 4,
      "W",
      "fan-out.ts",
      `${call.path}: runtime ${b.label} left out: ${outcome.why}`,
    );
  }
  return undefined;
}

/** Unavailable for a call to a named runtime's own objects while its breaker is open. */
export function refuseIfOpen(ctx: CallContext, b: Backend): void {
  if (b === ctx.primary) return;
  const why = ctx.runtimes.breaker(b.name).refusal();
  if (why !== undefined) throw new ConnectError(why, Code.Unavailable);
}
