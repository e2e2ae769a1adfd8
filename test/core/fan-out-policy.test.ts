// The fan-out policy as rows: what happens to each runtime's part, which runtime answers an
// image by digest, when kubelet's UpdateRuntimeConfig is sent again, and how event streams rejoin.
import { describe, expect, test } from "bun:test";
import {
  eventsEnd,
  EVENTS_POLL_MS,
  EVENTS_REJOIN_MS,
  partOutcome,
  pickHolder,
  replaysConfig,
  type HolderAnswer,
  type Memory,
  type Outcome,
  type PartResult,
} from "../../src/core/fan-out-policy.ts";

const GRACE = 600_000;
const answered: PartResult = { kind: "answered" };
const reset: PartResult = { kind: "failed", reason: "runtime vm reset the stream (NGHTTP2_INTERNAL_ERROR)" };
const down: PartResult = { kind: "absent", state: "down" };

describe("partOutcome: one outcome per runtime, never a failed call for a named one", () => {
  test.each<{ desc: string; primary: boolean; result: PartResult; memory?: Memory; expect: Outcome }>([
    { desc: "the primary answered: live", primary: true, result: answered, expect: { kind: "live" } },
    {
      desc: "the primary failed: the call fails",
      primary: true,
      result: reset,
      memory: { ageMs: 1 },
      expect: { kind: "fail-call" },
    },
    {
      desc: "a named runtime answered: live",
      primary: false,
      result: answered,
      memory: { ageMs: 1 },
      expect: { kind: "live" },
    },
    {
      desc: "a named runtime failed mid-answer, remembered: its last-known part",
      primary: false,
      result: reset,
      memory: { ageMs: 30_000 },
      expect: { kind: "last-known", ageMs: 30_000, why: "runtime vm reset the stream (NGHTTP2_INTERNAL_ERROR)" },
    },
    {
      desc: "a named runtime down, remembered: its last-known part",
      primary: false,
      result: down,
      memory: { ageMs: 5 },
      expect: { kind: "last-known", ageMs: 5, why: "it is down" },
    },
    {
      desc: "a named runtime down, remembered exactly as long as the grace: still stands in",
      primary: false,
      result: down,
      memory: { ageMs: GRACE },
      expect: { kind: "last-known", ageMs: GRACE, why: "it is down" },
    },
    {
      desc: "a named runtime down past the grace: left out",
      primary: false,
      result: down,
      memory: { ageMs: GRACE + 1 },
      expect: { kind: "left-out", why: "it is down" },
    },
    {
      desc: "a named runtime never seen: left out",
      primary: false,
      result: { kind: "absent", state: "connecting" },
      expect: { kind: "left-out", why: "it is connecting" },
    },
    {
      desc: "a named runtime that failed with nothing remembered: left out",
      primary: false,
      result: reset,
      expect: { kind: "left-out", why: reset.reason },
    },
  ])("$desc", ({ primary, result, memory, expect: want }) => {
    expect(partOutcome(primary, result, memory, GRACE)).toEqual(want);
  });
});

describe("pickHolder: an image named by digest is answered by the runtime that holds it", () => {
  const ok = (length: number): HolderAnswer => ({ ok: true, length });
  const failed: HolderAnswer = { ok: false };
  test.each<{ desc: string; answers: HolderAnswer[]; expect: number | undefined }>([
    { desc: "only a named runtime holds it (ImageStatus)", answers: [ok(0), ok(120)], expect: 1 },
    { desc: "both hold it: the first in --connect order", answers: [ok(90), ok(120)], expect: 0 },
    { desc: "nobody holds it: the first success (an empty answer)", answers: [ok(0), ok(0)], expect: 0 },
    { desc: "the primary failed, a named runtime holds it", answers: [failed, ok(3)], expect: 1 },
    { desc: "the primary failed, a named runtime answered empty (RemoveImage)", answers: [failed, ok(0)], expect: 1 },
    { desc: "everyone failed: none (the primary's error)", answers: [failed, failed], expect: undefined },
  ])("$desc", ({ answers, expect: want }) => {
    expect(pickHolder(answers)).toBe(want);
  });
});

describe("replaysConfig: kubelet's last UpdateRuntimeConfig reaches every runtime that becomes ready", () => {
  test.each([
    { desc: "a runtime that connects late", previous: "connecting", next: "ready", have: true, expect: true },
    { desc: "a runtime that comes back after being down", previous: "down", next: "ready", have: true, expect: true },
    {
      desc: "nothing to replay before kubelet sent one",
      previous: "connecting",
      next: "ready",
      have: false,
      expect: false,
    },
    { desc: "a runtime going away gets nothing", previous: "ready", next: "connecting", have: true, expect: false },
    { desc: "no transition, no replay", previous: "ready", next: "ready", have: true, expect: false },
  ])("$desc", ({ previous, next, have, expect: want }) => {
    expect(replaysConfig(previous, next, have)).toBe(want);
  });
});

describe("eventsEnd: what follows a runtime's GetContainerEvents ending", () => {
  test.each([
    {
      desc: "the primary's stream ended well: kubelet's ends (it re-subscribes)",
      primary: true,
      code: 0,
      expect: { kind: "end-call" },
    },
    {
      desc: "the primary's stream failed: kubelet's ends with its status",
      primary: true,
      code: 14,
      expect: { kind: "end-call" },
    },
    {
      desc: "a named runtime's stream broke: rejoin",
      primary: false,
      code: 14,
      expect: { kind: "rejoin", afterMs: EVENTS_REJOIN_MS },
    },
    {
      desc: "a named runtime's stream ended well: rejoin",
      primary: false,
      code: 0,
      expect: { kind: "rejoin", afterMs: EVENTS_REJOIN_MS },
    },
    {
      desc: "a named runtime without events (Unimplemented, e.g. CRI v1alpha2): its listings are polled every second instead",
      primary: false,
      code: 12,
      expect: { kind: "poll", everyMs: EVENTS_POLL_MS },
    },
  ])("$desc", ({ primary, code, expect: want }) => {
    expect(eventsEnd(primary, code)).toEqual(want as never);
  });
});
