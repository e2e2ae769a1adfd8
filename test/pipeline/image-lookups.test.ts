// Pending resolutions (a pod's presence check or pull, waiting for its image-user lookup) and pull tokens.
import { describe, expect, test } from "bun:test";
import { ImageLookups, MAX_NAMES, RESOLVED_MS } from "../../src/pipeline/image-lookups.ts";

const ids = (l: ImageLookups, image: string) =>
  l.resolved(image).map((r) => ({ runtime: r.runtime, id: r.id, count: (r as { count?: number }).count }));

describe("ImageLookups", () => {
  test("one entry per runtime, counting the pods waiting; kept as kubelet resolves the name (busybox is busybox:latest)", () => {
    const l = new ImageLookups(() => 0);
    l.note("busybox", "vm", "sha256:1");
    l.note("busybox:latest", "vm", "sha256:1");
    l.note("busybox", "", undefined);
    expect(ids(l, "busybox:latest")).toEqual([
      { runtime: "vm", id: "sha256:1", count: 2 },
      { runtime: "", id: undefined, count: 1 },
    ]);
    l.settle("busybox", ["vm"]);
    expect(ids(l, "busybox")[0]).toEqual({ runtime: "vm", id: "sha256:1", count: 1 });
    l.settle("busybox", ["vm", ""]);
    expect(ids(l, "busybox")).toEqual([]);
  });

  test("another image under the name on that runtime replaces the older one; giving up drops every waiting pod", () => {
    const l = new ImageLookups(() => 0);
    l.note("busybox", "vm", "sha256:1");
    l.note("busybox", "vm", "sha256:1");
    l.note("busybox", "vm", "sha256:2");
    expect(ids(l, "busybox")).toEqual([{ runtime: "vm", id: "sha256:2", count: 1 }]);
    l.note("busybox", "vm", "sha256:2");
    expect(l.contested("busybox")).toBe(false);
    l.settle("busybox", ["vm"], true);
    expect(ids(l, "busybox")).toEqual([]);
    expect(l.contested("busybox:latest")).toBe(true);
  });

  test(`a resolution waits at most ${RESOLVED_MS} ms`, () => {
    let now = 0;
    const l = new ImageLookups(() => now);
    l.note("busybox", "vm", "sha256:1");
    now = RESOLVED_MS;
    expect(ids(l, "busybox").length).toBe(1);
    now = RESOLVED_MS + 1;
    expect(ids(l, "busybox")).toEqual([]);
  });

  test("a pull token: once per holder, within the window", () => {
    let now = 0;
    const l = new ImageLookups(() => now);
    l.absent("busybox", ["", "vm"]);
    expect(l.takeToken("busybox", "gpu")).toBe(false);
    expect(l.takeToken("busybox:latest", "vm")).toBe(true);
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
