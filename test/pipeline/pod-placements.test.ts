// The pod placements: a cache of which named runtime runs each pod, bounded, rebuilt from lists.
import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { podKey } from "../../src/core/pod-placement.ts";
import { TARGET_RUNTIME_ANNOTATION } from "../../src/core/target-runtime.ts";
import { PodSandboxSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { MAX_PLACEMENTS, PodPlacements } from "../../src/pipeline/pod-placements.ts";

const meta = (name: string, attempt = 0) => ({ namespace: "ns", name, uid: `uid-${name}`, attempt });
const sandbox = (id: string, name: string, annotations: Record<string, string> = {}) =>
  create(PodSandboxSchema, { id, metadata: meta(name), annotations });

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
