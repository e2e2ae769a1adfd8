import { describe, expect, test } from "bun:test";
import { isBackendName, isDigest, prefixId, prefixImage, splitId, splitImage } from "../../src/core/names.ts";
import { DIGEST } from "./rows.ts";

const names = new Set(["vm", "virtlet.cloud"]);

describe("isBackendName", () => {
  test.each([
    { desc: "simple", name: "vm", expect: true },
    { desc: "dotted subdomain", name: "virtlet.cloud", expect: true },
    { desc: "dashes inside", name: "kata-vm.example-1", expect: true },
    { desc: "253 chars", name: Array(4).fill("a".repeat(63)).join(".").slice(0, 253), expect: true },
    { desc: "empty (the primary has no name)", name: "", expect: false },
    { desc: "uppercase", name: "VM", expect: false },
    { desc: "slash", name: "vm/x", expect: false },
    { desc: "double underscore", name: "vm__x", expect: false },
    { desc: "leading dash", name: "-vm", expect: false },
    { desc: "trailing dot", name: "vm.", expect: false },
    { desc: "label over 63", name: "a".repeat(64), expect: false },
    { desc: "over 253", name: Array(5).fill("a".repeat(63)).join("."), expect: false },
  ])("$desc: $name", ({ name, expect: want }) => expect(isBackendName(name)).toBe(want));
});

describe("ids", () => {
  test.each([
    { desc: "named backend prefixes", backend: "vm", id: "abc", expect: "vm__abc" },
    { desc: "primary unchanged", backend: "", id: "abc", expect: "abc" },
    { desc: "empty id stays empty", backend: "vm", id: "", expect: "" },
    { desc: "id with __ still prefixed once", backend: "vm", id: "a__b", expect: "vm__a__b" },
  ])("prefixId: $desc", ({ backend, id, expect: want }) => expect(prefixId(backend, id)).toBe(want));

  test.each([
    { desc: "configured name", id: "vm__abc", expect: { backend: "vm", id: "abc" } },
    { desc: "dotted name", id: "virtlet.cloud__abc", expect: { backend: "virtlet.cloud", id: "abc" } },
    { desc: "unknown prefix belongs to the primary", id: "nosuch__x", expect: { backend: "", id: "nosuch__x" } },
    { desc: "leading separator", id: "__x", expect: { backend: "", id: "__x" } },
    { desc: "unprefixed", id: "abc", expect: { backend: "", id: "abc" } },
    { desc: "only the first separator splits", id: "vm__a__b", expect: { backend: "vm", id: "a__b" } },
    { desc: "empty", id: "", expect: { backend: "", id: "" } },
  ])("splitId: $desc", ({ id, expect: want }) => expect(splitId(id, names)).toEqual(want));
});

describe("images", () => {
  test.each([
    { desc: "named backend prefixes", backend: "vm", ref: "docker.io/x:1", expect: "vm/docker.io/x:1" },
    { desc: "primary unchanged", backend: "", ref: "docker.io/x:1", expect: "docker.io/x:1" },
    { desc: "digest never prefixed", backend: "vm", ref: DIGEST, expect: DIGEST },
    {
      desc: "other algorithm digest",
      backend: "vm",
      ref: `sha512:${"0f".repeat(64)}`,
      expect: `sha512:${"0f".repeat(64)}`,
    },
    {
      desc: "repo digest is a name: prefixed",
      backend: "vm",
      ref: `docker.io/x@${DIGEST}`,
      expect: `vm/docker.io/x@${DIGEST}`,
    },
    { desc: "name:tag is not a digest", backend: "vm", ref: "nginx:latest", expect: "vm/nginx:latest" },
    { desc: "empty stays empty", backend: "vm", ref: "", expect: "" },
  ])("prefixImage: $desc", ({ backend, ref, expect: want }) => expect(prefixImage(backend, ref)).toBe(want));

  test.each([
    { desc: "configured name", ref: "vm/docker.io/x:1", expect: { backend: "vm", ref: "docker.io/x:1" } },
    {
      desc: "dotted name like a registry",
      ref: "virtlet.cloud/cirros",
      expect: { backend: "virtlet.cloud", ref: "cirros" },
    },
    { desc: "registry host is not a backend", ref: "docker.io/x:1", expect: { backend: "", ref: "docker.io/x:1" } },
    { desc: "digest never split", ref: DIGEST, expect: { backend: "", ref: DIGEST } },
    { desc: "explicit digest of a backend", ref: `vm/${DIGEST}`, expect: { backend: "vm", ref: DIGEST } },
    { desc: "bare name", ref: "nginx", expect: { backend: "", ref: "nginx" } },
    { desc: "leading slash", ref: "/vm/x", expect: { backend: "", ref: "/vm/x" } },
  ])("splitImage: $desc", ({ ref, expect: want }) => expect(splitImage(ref, names)).toEqual(want));

  test.each<{ ref: string; expect: boolean }>([
    { ref: DIGEST, expect: true },
    { ref: "sha256:abc", expect: false },
    { ref: "nginx:latest", expect: false },
    { ref: `docker.io/x@${DIGEST}`, expect: false },
  ])("isDigest($ref)", ({ ref, expect: want }) => expect(isDigest(ref)).toBe(want));
});
