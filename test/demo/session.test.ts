// `criproxy demo` routes between its two built-in runtimes and exits cleanly.
import { expect, test } from "bun:test";
import { runDemo } from "../../src/demo/session.ts";

test("the demo session routes each pod to its runtime and keeps the vm pod listed while vm is away", async () => {
  const lines: string[] = [];
  const calls = await runDemo((l) => lines.push(l), 0);
  const text = lines.join("\n");
  expect(calls).toBeGreaterThan(10);
  const away = lines.find((l) => l.includes("while vm.example is away"))!;
  expect(away).toContain("vm-app (vm.example__");
  expect(away).toContain("web (");
  expect(text).toContain("nginx on primary");
  expect(text).toContain("guest on vm.example");
  expect(lines.at(-1)).toContain("Done.");
  // vm.example speaks only v1alpha2: found by probing, every call it got was on v1alpha2.
  expect(text).toContain("primary speaks v1, vm.example speaks v1alpha2");
  expect(text).toContain("vm.example is left out, not an error");
  const [, got, onAlpha] = /vm\.example got (\d+) \((\d+) on runtime\.v1alpha2\)/.exec(lines.at(-1)!)!;
  expect(Number(got)).toBeGreaterThan(0);
  expect(onAlpha).toBe(got);
}, 20_000);
