// Whose answer kubelet gets for a bare image name with no pod hint (core/image-lookup.ts): the
// presence check of a pod a RuntimeClass alone placed, and every pod's image-user lookup.
import { describe, expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import { decideLookup, lookupRuntimes, type Held, type LookupDecision } from "../../src/core/image-lookup.ts";
import type { Resolution } from "../../src/core/pod-placement.ts";

const A = "sha256:" + "a".repeat(64); // one image
const B = "sha256:" + "b".repeat(64); // another image of the same name
const has = (runtime: string, id: string): Held => ({ runtime, id });
const lacks = (runtime: string): Held => ({ runtime, id: undefined });
const down = (runtime: string): Held => ({ runtime, failed: true });

interface LookupRow {
  desc: string;
  held: Held[];
  recent: Resolution[];
  expect: { kind: "answer"; runtime: string } | { kind: "absent"; holders: string[] } | { kind: "ambiguous"; says: string[] };
}

function check(got: LookupDecision, want: LookupRow["expect"]) {
  if (want.kind === "ambiguous") {
    expect(got.kind).toBe("ambiguous");
    if (got.kind !== "ambiguous") return;
    expect(got.error.code).toBe(Code.Aborted);
    for (const s of want.says) expect(got.error.rawMessage).toContain(s);
    return;
  }
  expect(got).toEqual(want);
}

describe("no pod resolved the name a moment ago: a presence check", () => {
  test.each<LookupRow>([
    { desc: "every runtime has the same image: present (the primary's answer)", held: [has("", A), has("vm", A)], recent: [], expect: { kind: "answer", runtime: "" } },
    { desc: "vm lacks it: absent, so the pod pulls where it runs; the primary may answer that pull from what it holds", held: [has("", A), lacks("vm")], recent: [], expect: { kind: "absent", holders: [""] } },
    { desc: "the primary lacks it: absent", held: [lacks(""), has("vm", A)], recent: [], expect: { kind: "absent", holders: ["vm"] } },
    { desc: "another image of that name on vm: absent", held: [has("", A), has("vm", B)], recent: [], expect: { kind: "absent", holders: ["", "vm"] } },
    { desc: "vm did not answer: absent (never present on a guess)", held: [has("", A), down("vm")], recent: [], expect: { kind: "absent", holders: [""] } },
    { desc: "nobody has it: absent", held: [lacks(""), lacks("vm")], recent: [], expect: { kind: "absent", holders: [] } },
  ])("$desc", ({ held, recent, expect: want }) => check(decideLookup("ImageStatus", "busybox", held, recent), want));
});

describe("a pod resolved the name a moment ago: the image-user lookup that follows is answered from its image", () => {
  test.each<LookupRow>([
    { desc: "pulled on vm: vm's answer, although the primary has another image", held: [has("", A), has("vm", B)], recent: [{ runtime: "vm", id: B }], expect: { kind: "answer", runtime: "vm" } },
    { desc: "found on vm, the primary lacks it: vm's answer", held: [lacks(""), has("vm", B)], recent: [{ runtime: "vm", id: B }], expect: { kind: "answer", runtime: "vm" } },
    { desc: "pulled on the primary (its pod was told absent): the primary's answer", held: [has("", A), lacks("vm")], recent: [{ runtime: "", id: A }], expect: { kind: "answer", runtime: "" } },
    { desc: "the same image on two runtimes: either is right, the newest", held: [has("", A), has("vm", A)], recent: [{ runtime: "", id: A }, { runtime: "vm", id: A }], expect: { kind: "answer", runtime: "vm" } },
    { desc: "gone from where it was resolved but held elsewhere: the holder of that image", held: [has("", A), lacks("vm")], recent: [{ runtime: "vm", id: A }], expect: { kind: "answer", runtime: "" } },
    { desc: "gone everywhere: the presence rule", held: [lacks(""), lacks("vm")], recent: [{ runtime: "vm", id: A }], expect: { kind: "absent", holders: [] } },
    { desc: "the primary asked without a pod hint, and had none: that pod pulls; vm's resolution stands", held: [lacks(""), has("vm", B)], recent: [{ runtime: "", id: undefined }, { runtime: "vm", id: B }], expect: { kind: "answer", runtime: "vm" } },
  ])("$desc", ({ held, recent, expect: want }) => check(decideLookup("ImageStatus", "busybox", held, recent), want));
});

describe("undecidable: two pods resolved the name to different images at once; kubelet asks again", () => {
  test.each<LookupRow>([
    {
      desc: "pulled on the primary and on vm, different images",
      held: [has("", A), has("vm", B)],
      recent: [{ runtime: "", id: A }, { runtime: "vm", id: B }],
      expect: { kind: "ambiguous", says: ["ImageStatus", '"busybox"', "the primary runtime", 'runtime "vm"', A, B, "retry"] },
    },
    {
      desc: "the primary answered a pod's lookup (unread) just before vm's pod resolved another image",
      held: [has("", A), has("vm", B)],
      recent: [{ runtime: "", id: undefined }, { runtime: "vm", id: B }],
      expect: { kind: "ambiguous", says: ["the primary runtime", 'runtime "vm"'] },
    },
  ])("$desc", ({ held, recent, expect: want }) => check(decideLookup("ImageStatus", "busybox", held, recent), want));
});

describe("who is asked beside the primary", () => {
  const view = (unhinted: string[], resolved: Resolution[]) => ({ runtimeOf: () => undefined, unhinted: () => unhinted, resolved: () => resolved });
  test.each([
    { desc: "nothing in play: the primary alone", unhinted: [], resolved: [], want: [] },
    { desc: "runtimes running pods a RuntimeClass alone placed", unhinted: ["vm", "gpu"], resolved: [], want: ["vm", "gpu"] },
    { desc: "runtimes that resolved the name for a pod, once each", unhinted: ["vm"], resolved: [{ runtime: "gpu", id: A }, { runtime: "vm", id: A }, { runtime: "", id: A }], want: ["vm", "gpu"] },
  ])("$desc", ({ unhinted, resolved, want }) => expect(lookupRuntimes("busybox", view(unhinted, resolved))).toEqual(want));
});
