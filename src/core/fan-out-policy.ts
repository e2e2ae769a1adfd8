// What a fan-out does with each runtime's result: pure decisions, so every rule of the
// chicken-and-egg (DESIGN.md, "Backends") is a unit test with no sockets and no clock.

/** How one runtime's part of a fan-out ended, as the pipeline observed it within its budget. */
export type PartResult =
  /** Its whole answer arrived, within the size cap, decoded and rewritten. */
  | { readonly kind: "answered" }
  /** It was not asked: not connected (a named runtime that is down fails fast). */
  | { readonly kind: "absent"; readonly state: string }
  /** It failed anywhere in its answer: headers, bytes, stall past its budget, size, decoding, rewriting. */
  | { readonly kind: "failed"; readonly reason: string };

/** The outcome for one runtime's part: exactly one of these, for every runtime asked or not. */
export type Outcome =
  | { readonly kind: "live" }
  | { readonly kind: "last-known"; readonly ageMs: number; readonly why: string }
  | { readonly kind: "left-out"; readonly why: string }
  /** Only the primary: its failure is the call's (a list without it would read as every pod gone). */
  | { readonly kind: "fail-call" };

/** A remembered answer of this runtime to the same request, if any, and how old it is. */
export interface Memory {
  readonly ageMs: number;
}

/**
 * The outcome of one runtime's part. The primary's failure fails the call; a named runtime's
 * never does: its last-known answer stands in while within `graceMs` (kubelet reads a sandbox
 * missing from a list as gone and replaces it), else it is left out.
 */
export function partOutcome(
  primary: boolean,
  result: PartResult,
  memory: Memory | undefined,
  graceMs: number,
): Outcome {
  if (result.kind === "answered") return { kind: "live" };
  if (primary) return { kind: "fail-call" };
  const why = result.kind === "absent" ? `it is ${result.state}` : result.reason;
  if (memory !== undefined && memory.ageMs <= graceMs) return { kind: "last-known", ageMs: memory.ageMs, why };
  return { kind: "left-out", why };
}

/** One runtime's whole answer to an image-by-digest call: its length, or that it failed. */
export type HolderAnswer = { readonly ok: true; readonly length: number } | { readonly ok: false };

/**
 * Which runtime answers an image named by digest (every runtime was asked; image ids are never
 * prefixed): the first, in --connect order, with a non-empty answer (ImageStatus of the runtime
 * holding it); else the first success (RemoveImage's empty answer); else none (the primary's error).
 */
export function pickHolder(answers: readonly HolderAnswer[]): number | undefined {
  const found = answers.findIndex((a) => a.ok && a.length > 0);
  if (found >= 0) return found;
  const ok = answers.findIndex((a) => a.ok);
  return ok >= 0 ? ok : undefined;
}

/**
 * Whether kubelet's last UpdateRuntimeConfig is sent again to a runtime whose state changed:
 * on every transition to ready (a runtime that connects late, restarts, or is added by a
 * reload never saw it, and kubelet sends it essentially once, at start).
 */
export function replaysConfig(previous: string, next: string, haveConfig: boolean): boolean {
  return haveConfig && next === "ready" && previous !== "ready";
}

/** What happens after one runtime's GetContainerEvents stream ends. */
export type EventsEnd =
  /** The primary's stream ended: kubelet's ends too, with its status, and kubelet re-subscribes. */
  | { readonly kind: "end-call" }
  /** A named runtime's broke: join it again after a pause while it stays ready, or when it is back. */
  | { readonly kind: "rejoin"; readonly afterMs: number }
  /**
   * A named runtime without events (Unimplemented, or an API without them, as v1alpha2): not
   * asked again until it reconnects; its listings are polled and diffed into events
   * (core/container-events.ts), as kubelet's generic PLEG would relist it.
   */
  | { readonly kind: "poll"; readonly everyMs: number };

/** How soon a named runtime's broken event stream is tried again while it still looks ready. */
export const EVENTS_REJOIN_MS = 1000;

/** How often a runtime without events is listed for events: kubelet's generic PLEG relists every second. */
export const EVENTS_POLL_MS = 1000;

/** The rule for a runtime's event stream that ended; `code` is the gRPC code it ended with (0: OK). */
export function eventsEnd(primary: boolean, code: number): EventsEnd {
  if (primary) return { kind: "end-call" };
  // 12 = Unimplemented: asking again every second would only fill the log.
  if (code === 12) return { kind: "poll", everyMs: EVENTS_POLL_MS };
  return { kind: "rejoin", afterMs: EVENTS_REJOIN_MS };
}
