// The proxy's only state: last-known list answers of named runtimes, bounded in keys and bytes.
// (Whether one may stand in is the policy's: test/core/fan-out-policy.test.ts.)
import { expect, test } from "bun:test";
import { LastKnown } from "../../src/pipeline/last-known.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

test("a remembered answer is returned with its age; forget and drop remove it", () => {
  let now = 1000;
  const memory = new LastKnown(() => now);
  memory.put("vm", "list", [bytes(1)], [bytes(9, 1)]);
  now += 4999;
  expect(memory.get("vm", "list")).toEqual({ parts: [bytes(9, 1)], ageMs: 4999 });
  memory.forget("vm", "list");
  expect(memory.get("vm", "list")).toBeUndefined();
  memory.put("vm", "list", [bytes(1)], [bytes(9, 1)]);
  memory.drop("vm");
  expect(memory.get("vm", "list")).toBeUndefined();
});

test("an unchanged raw answer reuses its rewritten form; a changed one does not", () => {
  const memory = new LastKnown();
  memory.put("vm", "list", [bytes(1, 2, 3)], [bytes(7)]);
  expect(memory.rewritten("vm", "list", [bytes(1, 2, 3)])).toEqual([bytes(7)]);
  expect(memory.rewritten("vm", "list", [bytes(1, 2, 4)])).toBeUndefined();
  expect(memory.rewritten("vm", "list", [bytes(1, 2, 3), bytes(1)])).toBeUndefined();
  expect(memory.rewritten("vm", "other", [bytes(1, 2, 3)])).toBeUndefined();
  expect(memory.rewritten("other", "list", [bytes(1, 2, 3)])).toBeUndefined();
});

test("answers are kept per runtime and request, the least recently answered evicted past the key bound", () => {
  const memory = new LastKnown();
  for (let i = 0; i < 70; i++) memory.put("vm", `k${i}`, [bytes(i)], [bytes(i)]);
  expect(memory.get("vm", "k0")).toBeUndefined();
  expect(memory.get("vm", "k69")?.parts).toEqual([bytes(69)]);
});

test("memory is bounded in bytes per runtime; the newest answer is always kept", () => {
  const memory = new LastKnown();
  const mb = (n: number) => new Uint8Array(n * 1024 * 1024);
  memory.put("vm", "old", [mb(20)], [mb(20)]);
  memory.put("vm", "new", [mb(10)], [mb(10)]);
  expect(memory.get("vm", "old")).toBeUndefined();
  expect(memory.get("vm", "new")).toBeDefined();
  expect(memory.bytes).toBe(20 * 1024 * 1024);
  memory.put("vm", "huge", [mb(30)], [mb(30)]);
  expect(memory.get("vm", "huge")).toBeDefined();
  expect(memory.get("vm", "new")).toBeUndefined();
});
