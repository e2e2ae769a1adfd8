// Whose answer kubelet gets for a bare image name with no pod hint (core/image-lookup.ts): the
// presence check of a pod a RuntimeClass alone placed, and every pod's image-user lookup.
import { describe, expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import {
  decidePresence,
  decideUser,
  imageKey,
  lookupRuntimes,
  type Held,
  type LookupDecision,
} from "../../src/core/image-lookup.ts";
import type { Resolution } from "../../src/core/pod-placement.ts";

const A = `sha256:${"a".repeat(64)}`; // one image
const B = `sha256:${"b".repeat(64)}`; // another image of the same name
const has = (runtime: string, id: string): Held => ({ runtime, id });
const lacks = (runtime: string): Held => ({ runtime, id: undefined });
const down = (runtime: string): Held => ({ runtime, failed: true });

interface LookupRow {
  desc: string;
  held: Held[];
  recent: Resolution[];
  expect:
    | { kind: "answer"; runtime: string; settles?: string[] }
    | { kind: "absent"; holders: string[] }
    | { kind: "retry"; says: string[] };
}

function check(got: LookupDecision, want: LookupRow["expect"]) {
  if (want.kind === "retry") {
    expect(got.kind).toBe("retry");
    if (got.kind !== "retry") return;
    expect(got.error.code).toBe(Code.Aborted);
    for (const s of want.says) expect(got.error.rawMessage).toContain(s);
    return;
  }
  expect(got).toMatchObject(want);
}

describe("kubelet's presence check (the pod's annotations, none naming a runtime): present only where every asked runtime has the same image", () => {
  test.each<LookupRow>([
    {
      desc: "every runtime has the same image: present (the primary's answer)",
      held: [has("", A), has("vm", A)],
      recent: [],
      expect: { kind: "answer", runtime: "" },
    },
    {
      desc: "vm lacks it: absent, so the pod pulls where it runs; the primary may answer that pull from what it holds",
      held: [has("", A), lacks("vm")],
      recent: [],
      expect: { kind: "absent", holders: [""] },
    },
    {
      desc: "the primary lacks it: absent",
      held: [lacks(""), has("vm", A)],
      recent: [],
      expect: { kind: "absent", holders: ["vm"] },
    },
    {
      desc: "another image of that name on vm: absent",
      held: [has("", A), has("vm", B)],
      recent: [],
      expect: { kind: "absent", holders: ["", "vm"] },
    },
    {
      desc: "vm did not answer: absent (never present on a guess)",
      held: [has("", A), down("vm")],
      recent: [],
      expect: { kind: "absent", holders: [""] },
    },
    {
      desc: "nobody has it: absent",
      held: [lacks(""), lacks("vm")],
      recent: [],
      expect: { kind: "absent", holders: [] },
    },
  ])("$desc", ({ held, expect: want }) => check(decidePresence(held), want));
});

describe("kubelet's image-user lookup (no annotations): answered from the image its pod's presence check or pull resolved", () => {
  test.each<LookupRow>([
    {
      desc: "pulled on vm: vm's answer, although the primary has another image",
      held: [has("", A), has("vm", B)],
      recent: [{ runtime: "vm", id: B }],
      expect: { kind: "answer", runtime: "vm", settles: ["vm"] },
    },
    {
      desc: "found on vm, the primary lacks it: vm's answer",
      held: [lacks(""), has("vm", B)],
      recent: [{ runtime: "vm", id: B }],
      expect: { kind: "answer", runtime: "vm" },
    },
    {
      desc: "pulled on the primary (its pod was told absent): the primary's answer",
      held: [has("", A), lacks("vm")],
      recent: [{ runtime: "", id: A }],
      expect: { kind: "answer", runtime: "", settles: [""] },
    },
    {
      desc: "the same image on two runtimes: either is right, the newest; both settled",
      held: [has("", A), has("vm", A)],
      recent: [
        { runtime: "", id: A },
        { runtime: "vm", id: A },
      ],
      expect: { kind: "answer", runtime: "vm", settles: ["", "vm"] },
    },
    {
      desc: "gone from where it was resolved but held elsewhere: the holder of that image",
      held: [has("", A), lacks("vm")],
      recent: [{ runtime: "vm", id: A }],
      expect: { kind: "answer", runtime: "" },
    },
    {
      desc: "the primary answered a presence check unread and had none: that pod pulls; vm's resolution stands",
      held: [lacks(""), has("vm", B)],
      recent: [
        { runtime: "", id: undefined },
        { runtime: "vm", id: B },
      ],
      expect: { kind: "answer", runtime: "vm" },
    },
    {
      desc: "nothing pending, every runtime has the same image: it",
      held: [has("", A), has("vm", A)],
      recent: [],
      expect: { kind: "answer", runtime: "" },
    },
    {
      desc: "nothing pending, nobody has it: absent (kubelet's own answer; its CreateContainer fails)",
      held: [lacks(""), lacks("vm")],
      recent: [],
      expect: { kind: "absent", holders: [] },
    },
    {
      desc: "nothing pending (crictl inspecti), different images: the primary's, as without named runtimes",
      held: [has("", A), has("vm", B)],
      recent: [],
      expect: { kind: "answer", runtime: "" },
    },
    {
      desc: "nothing pending, only vm has it: the primary's answer, none",
      held: [lacks(""), has("vm", B)],
      recent: [],
      expect: { kind: "absent", holders: [] },
    },
  ])("$desc", ({ held, recent, expect: want }) => check(decideUser("ImageStatus", "busybox", held, recent), want));
});

describe("undecidable, so kubelet is told to retry (Aborted), never given root or another image's user", () => {
  test.each<LookupRow>([
    {
      desc: "two pods resolved the name to different images at once, on the primary and on vm: both given up",
      held: [has("", A), has("vm", B)],
      recent: [
        { runtime: "", id: A },
        { runtime: "vm", id: B },
      ],
      expect: {
        kind: "retry",
        says: ["ImageStatus", '"busybox"', "the primary runtime", 'runtime "vm"', A, B, "retry"],
      },
    },
    {
      desc: "the primary answered a pod's presence check (unread) just before vm's pod resolved another image",
      held: [has("", A), has("vm", B)],
      recent: [
        { runtime: "", id: undefined },
        { runtime: "vm", id: B },
      ],
      expect: { kind: "retry", says: ["the primary runtime", 'runtime "vm"'] },
    },
    {
      desc: "just contested, nothing pending, the runtimes hold different images: which one is not known",
      held: [has("", A), has("vm", B)],
      recent: [],
      expect: { kind: "retry", says: [A, B, "told to retry"] },
    },
    {
      desc: "just contested, vm has it and the primary not: absent would read as root",
      held: [lacks(""), has("vm", B)],
      recent: [],
      expect: { kind: "retry", says: ['runtime "vm"', B] },
    },
  ])("$desc", ({ held, recent, expect: want }) =>
    check(decideUser("ImageStatus", "busybox", held, recent, true), want),
  );

  test("two pods given up are given up together", () => {
    const d = decideUser(
      "ImageStatus",
      "busybox",
      [has("", A), has("vm", B)],
      [
        { runtime: "", id: A },
        { runtime: "vm", id: B },
      ],
    );
    expect(d.kind === "retry" && d.settles).toEqual(["", "vm"]);
  });
});

test.each([
  ["busybox", "busybox:latest"],
  ["docker.io/library/busybox", "docker.io/library/busybox:latest"],
  ["localhost:5000/app", "localhost:5000/app:latest"],
  ["busybox:1.36", "busybox:1.36"],
  [`busybox@${A}`, `busybox@${A}`],
])("kubelet resolves %s as %s (getImageUser asks it as written)", (image, key) => expect(imageKey(image)).toBe(key));

describe("who is asked beside the primary", () => {
  const view = (unhinted: string[], resolved: Resolution[]) => ({
    runtimeOf: () => undefined,
    unhinted: () => unhinted,
    resolved: () => resolved,
  });
  test.each<{ desc: string; presence: boolean; unhinted: string[]; resolved: Resolution[]; want: string[] }>([
    { desc: "nothing in play: the primary alone", presence: false, unhinted: [], resolved: [], want: [] },
    {
      desc: "a presence check: runtimes running pods a RuntimeClass alone placed",
      presence: true,
      unhinted: ["vm", "gpu"],
      resolved: [{ runtime: "x", id: A }],
      want: ["vm", "gpu"],
    },
    {
      desc: "an image-user lookup: those, and runtimes with pods waiting for it, once each",
      presence: false,
      unhinted: ["vm"],
      resolved: [
        { runtime: "gpu", id: A },
        { runtime: "vm", id: A },
        { runtime: "", id: A },
      ],
      want: ["vm", "gpu"],
    },
  ])("$desc", ({ presence, unhinted, resolved, want }) =>
    expect(lookupRuntimes("busybox", presence, view(unhinted, resolved))).toEqual(want),
  );
});
