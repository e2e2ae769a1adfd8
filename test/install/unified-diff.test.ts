// --dry-run prints what `diff -u` would.
import { expect, test } from "bun:test";
import { unifiedDiff } from "../../src/install/unified-diff.ts";

test("one changed line with context", () => {
  const a = "1\n2\n3\n4\n5\n6\n7\n8\n";
  const b = "1\n2\n3\n4\nfive\n6\n7\n8\n";
  expect(unifiedDiff("/etc/x", a, b)).toBe(
    "--- a/etc/x\n+++ b/etc/x\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
  );
});

test("new and removed files", () => {
  expect(unifiedDiff("/n", undefined, "a\nb\n")).toBe("--- /dev/null\n+++ b/n\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  expect(unifiedDiff("/n", "a\n", undefined)).toBe("--- a/n\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n");
});

test("missing final newline is marked", () => {
  expect(unifiedDiff("/f", "a", "b")).toBe(
    "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n",
  );
});

test("matches diff -u on a real edit", () => {
  const a = `${Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n")}\n`;
  const b = a.replace("line 3\n", "").replace("line 20\n", "line 20\nnew\n");
  const dir = require("node:fs").mkdtempSync("/tmp/diff-");
  Bun.write(`${dir}/a`, a);
  Bun.write(`${dir}/b`, b);
  const r = Bun.spawnSync(["diff", "-u", "--label", "a/f", "--label", "b/f", `${dir}/a`, `${dir}/b`]);
  expect(unifiedDiff("/f", a, b)).toBe(r.stdout.toString());
});
