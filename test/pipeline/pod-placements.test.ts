// The pod placements: a cache of which named runtime runs each pod, bounded, rebuilt from lists.
import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { podKey } from "../../src/core/pod-placement.ts";
import { TARGET_RUNTIME_ANNOTATION } from "../../src/core/target-runtime.ts";
import { PodSandboxSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { ImageLookups, MAX_NAMES, RESOLVED_MS, ASKED_MS } from "../../src/pipeline/image-lookups.ts";
import { MAX_PLACEMENTS, PodPlacements } from "../../src/pipeline/pod-placements.ts";

const meta = (name: string, attempt = 0) => ({ namespace: "ns", name, uid: `uid-${name}`, attempt });
const sandbox = (id: string, name: string, annotations: Record<string, string> = {}) => create(PodSandboxSchema, { id, metadata: meta(name), annotations });

describe("PodPlacements", () => {
  test("learned, found by the pod's metadata, forgotten by its sandbox id", () => {
    const p = new PodPlacements();
    p.setOrder(["vm", "gpu"]);
    p.learn("vm", podKey(meta("a")), "vm__s1", true);
    p.learn("gpu", podKey(meta("b")), "gpu__s2", false);
    expect(p.runtimeOf(podKey(meta("a")))).toBe("vm");
    expect(p.runtimeOf(podKey(meta("a", 1)))).toBeUndefined(); // another attempt is another sandbox
    expect(p.unhinted()).toEqual(["vm"]);
    p.forget("vm__s1");
    expect(p.runtimeOf(podKey(meta("a")))).toBeUndefined();
    expect(p.unhinted()).toEqual([]);
    expect(p.size).toBe(1);
  });

  test("rebuilt from a runtime's ListPodSandbox: its ids prefixed, the annotation read", () => {
    const p = new PodPlacements();
    p.setOrder(["vm"]);
    p.learn("vm", podKey(meta("gone")), "vm__old", true);
    expect(p.isListed("vm")).toBe(false);
    p.replace("vm", [sandbox("s1", "a"), sandbox("s2", "b", { [TARGET_RUNTIME_ANNOTATION]: "vm" })]);
    expect(p.isListed("vm")).toBe(true);
    expect(p.runtimeOf(podKey(meta("gone")))).toBeUndefined();
    expect(p.runtimeOf(podKey(meta("a")))).toBe("vm");
    p.forget("vm__s2");
    expect(p.runtimeOf(podKey(meta("b")))).toBeUndefined();
    expect(p.unhinted()).toEqual(["vm"]);
    p.drop("vm");
    expect(p.size).toBe(0);
    expect(p.unhinted()).toEqual([]);
  });

  test(`bounded: at most ${MAX_PLACEMENTS} sandboxes, the oldest forgotten first`, () => {
    const p = new PodPlacements();
    p.setOrder(["vm"]);
    for (let i = 0; i <= MAX_PLACEMENTS; i++) p.learn("vm", podKey(meta(`p${i}`)), `vm__s${i}`, true);
    expect(p.size).toBe(MAX_PLACEMENTS);
    expect(p.runtimeOf(podKey(meta("p0")))).toBeUndefined();
    expect(p.runtimeOf(podKey(meta(`p${MAX_PLACEMENTS}`)))).toBe("vm");
    expect(p.unhinted()).toEqual(["vm"]);
  });
});

describe("ImageLookups", () => {
  test("a resolution counts for RESOLVED_MS, the primary's unread answer for ASKED_MS; one entry per runtime, newest last", () => {
    let now = 0;
    const l = new ImageLookups(() => now);
    l.note("busybox", "vm", "sha256:1");
    l.note("busybox", "", undefined);
    l.note("busybox", "vm", "sha256:2");
    expect(l.resolved("busybox")).toEqual([
      { runtime: "", id: undefined, at: 0 },
      { runtime: "vm", id: "sha256:2", at: 0 },
    ] as never);
    now = ASKED_MS + 1;
    expect(l.resolved("busybox").map((r) => r.runtime)).toEqual(["vm"]);
    now = RESOLVED_MS + 1;
    expect(l.resolved("busybox")).toEqual([]);
  });

  test("a pull token: once per holder, within the window", () => {
    let now = 0;
    const l = new ImageLookups(() => now);
    l.absent("busybox", ["", "vm"]);
    expect(l.takeToken("busybox", "gpu")).toBe(false);
    expect(l.takeToken("busybox", "vm")).toBe(true);
    expect(l.takeToken("busybox", "vm")).toBe(false);
    now = RESOLVED_MS + 1;
    expect(l.takeToken("busybox", "")).toBe(false);
  });

  test(`bounded: at most ${MAX_NAMES} names`, () => {
    const l = new ImageLookups(() => 0);
    for (let i = 0; i <= MAX_NAMES; i++) l.note(`img-${i}`, "vm", "sha256:1");
    expect(l.resolved("img-0")).toEqual([]);
    expect(l.resolved(`img-${MAX_NAMES}`).length).toBe(1);
  });
});
