// The proxy's only state: last-known list answers of named runtimes, bounded by a grace period.
import { expect, test } from "bun:test";
import { LastKnown } from "../../src/server/last-known.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

test("a remembered answer is served within the grace period, not after", () => {
  let now = 1000;
  const memory = new LastKnown(5000, () => now);
  memory.put("vm", "list", bytes(1), bytes(9, 1));
  now += 4999;
  expect(memory.get("vm", "list")).toEqual({ part: bytes(9, 1), ageMs: 4999 });
  now += 2;
  expect(memory.get("vm", "list")).toBeUndefined();
  expect(memory.get("vm", "list")).toBeUndefined(); // and it is forgotten
});

test("an unchanged raw answer reuses its rewritten form; a changed one does not", () => {
  const memory = new LastKnown(60_000);
  memory.put("vm", "list", bytes(1, 2, 3), bytes(7));
  expect(memory.rewritten("vm", "list", bytes(1, 2, 3))).toEqual(bytes(7));
  expect(memory.rewritten("vm", "list", bytes(1, 2, 4))).toBeUndefined();
  expect(memory.rewritten("vm", "other", bytes(1, 2, 3))).toBeUndefined();
  expect(memory.rewritten("other", "list", bytes(1, 2, 3))).toBeUndefined();
});

test("answers are kept per runtime and request, the least recently answered evicted past the bound", () => {
  const memory = new LastKnown(60_000);
  for (let i = 0; i < 40; i++) memory.put("vm", `k${i}`, bytes(i), bytes(i));
  expect(memory.get("vm", "k0")).toBeUndefined();
  expect(memory.get("vm", "k39")?.part).toEqual(bytes(39));
  memory.drop("vm");
  expect(memory.get("vm", "k39")).toBeUndefined();
});
