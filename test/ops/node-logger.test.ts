// --log-format json writes one object per line; text keeps klog's header; a warning that
// repeats (a runtime that stays down) is written once per window, then once with its count.
import { describe, expect, test } from "bun:test";
import { createNodeLogger } from "../../src/log/node-logger.ts";

const at = new Date("2025-01-02T03:04:05.678Z");

function capture(format: "text" | "json", v = 2, repeatWindowMs = 60_000) {
  const lines: string[] = [];
  const log = createNodeLogger({ v, format, write: (l) => lines.push(l), now: () => at, repeatWindowMs });
  return { log, lines };
}

describe("--log-format json", () => {
  test("one JSON object per line, with time, level, source, message and fields", () => {
    const { log, lines } = capture("json");
    log.record(2, "E", "proxy.ts", "FAIL: /runtime.v1.RuntimeService/StopPodSandbox:\nline two", {
      method: "StopPodSandbox",
      backend: "vm",
      duration_ms: 1.5,
      code: "NotFound",
      pod_sandbox_id: "vm__abc",
    });
    expect(lines.length).toBe(1);
    expect(lines[0].endsWith("\n")).toBe(true);
    expect(lines[0].slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(lines[0])).toEqual({
      time: "2025-01-02T03:04:05.678Z",
      level: "error",
      v: 2,
      source: "proxy.ts",
      msg: "FAIL: /runtime.v1.RuntimeService/StopPodSandbox:\nline two",
      pid: process.pid,
      method: "StopPodSandbox",
      backend: "vm",
      duration_ms: 1.5,
      code: "NotFound",
      pod_sandbox_id: "vm__abc",
    });
  });

  test("plain log lines become objects too; -v still filters", () => {
    const { log, lines } = capture("json", 1);
    log.log(1, "I", "daemon.ts", "criproxy serving");
    log.log(3, "I", "proxy.ts", "ENTER: too verbose");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["criproxy serving"]);
  });

  test("the format switches at once (SIGHUP)", () => {
    const { log, lines } = capture("json");
    log.log(0, "I", "a.ts", "one");
    log.format = "text";
    log.log(0, "I", "a.ts", "two");
    expect(JSON.parse(lines[0]).msg).toBe("one");
    expect(lines[1]).toMatch(/^I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ a\.ts\] two\n$/);
  });
});

describe("text format", () => {
  test("klog's header, fields as key=value after the message", () => {
    const { log, lines } = capture("text");
    log.record(0, "W", "x.ts", "slow", { backend: "vm", note: "two words" });
    expect(lines[0]).toMatch(/^W\d{4} .* x\.ts\] slow backend=vm note="two words"\n$/);
  });
});

describe("repeated warnings are rate-limited with a count", () => {
  test("the first is written, the rest counted, and the count written when the window ends", async () => {
    const { log, lines } = capture("text", 2, 150);
    for (let i = 0; i < 57; i++) log.log(0, "W", "backend.ts", `runtime vm (unix:///run/vm.sock): down: connect ENOENT (attempt ${i})`);
    log.log(0, "W", "backend.ts", "something else");
    log.log(0, "I", "backend.ts", "info lines are never limited");
    log.log(0, "I", "backend.ts", "info lines are never limited");
    expect(lines.length).toBe(4);
    await Bun.sleep(300);
    expect(lines.length).toBe(5);
    expect(lines[4]).toContain("down: connect ENOENT (attempt 56) (repeated 56 times in 0s)");
    // A new window starts with the next occurrence.
    log.log(0, "W", "backend.ts", "runtime vm (unix:///run/vm.sock): down: connect ENOENT (attempt 99)");
    expect(lines.length).toBe(6);
  });

  test("in JSON the count is a field", () => {
    const { log, lines } = capture("json", 2, 60_000);
    for (let i = 0; i < 3; i++) log.log(0, "E", "fan-out.ts", `left out after ${i}ms`);
    log.flush();
    expect(lines.length).toBe(2);
    expect(JSON.parse(lines[1])).toMatchObject({ msg: "left out after 2ms", repeated: 2, level: "error" });
  });
});
