// --log-format json writes one object per line; text keeps klog's header; a warning that
// repeats (a runtime that stays down) is written once per window, then once with its count.
import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/log/logger.ts";
import { waitFor } from "../support/wait.ts";

const at = new Date("2025-01-02T03:04:05.678Z");

function capture(format: "text" | "json", v = 2, repeatWindowMs = 60_000, now = () => at) {
  const lines: string[] = [];
  const log = createLogger({ v, format, write: (l) => lines.push(l), now, repeatWindowMs });
  return { log, lines };
}

/** A clock that advances one second on every reading, from `at`. */
function ticking() {
  let t = at.getTime();
  return () => new Date((t += 1000));
}

describe("--log-format json", () => {
  test("one JSON object per line, with time, level, source, message and fields", () => {
    const { log, lines } = capture("json");
    log.log(2, "E", "proxy.ts", "FAIL: /runtime.v1.RuntimeService/StopPodSandbox:\nline two", {
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
    log.log(0, "W", "x.ts", "slow", { backend: "vm", note: "two words" });
    expect(lines[0]).toMatch(/^W\d{4} .* x\.ts\] slow backend=vm note="two words"\n$/);
  });
});

describe("repeated warnings are rate-limited with a count", () => {
  test("the first is written, the rest counted, and the count written when the window ends", async () => {
    const { log, lines } = capture("text", 2, 150, ticking());
    for (let i = 0; i < 57; i++)
      log.log(0, "W", "backend.ts", `runtime vm (unix:///run/vm.sock): down: connect ENOENT (attempt ${i})`);
    log.log(0, "W", "backend.ts", "something else");
    log.log(0, "I", "backend.ts", "info lines are never limited");
    log.log(0, "I", "backend.ts", "info lines are never limited");
    expect(lines.length).toBe(4);
    await waitFor(() => lines.length === 5, 3000, "the count written when the window ends");
    // The summary is dated by its last repeat and names the first and the last (one second apart each).
    const first = new Date(at.getTime() + 2000);
    const last = new Date(at.getTime() + 57_000);
    const hms = (d: Date) =>
      `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}:${String(d.getSeconds()).padStart(2, "0")}`;
    expect(lines[4]).toContain(
      `down: connect ENOENT (attempt 56) (repeated 56 times between ${hms(first)}.678000 and ${hms(last)}.678000)`,
    );
    expect(lines[4]).toMatch(new RegExp(`^W\\d{4} ${hms(last)}\\.678000 `));
    // A new window starts with the next occurrence.
    log.log(0, "W", "backend.ts", "runtime vm (unix:///run/vm.sock): down: connect ENOENT (attempt 99)");
    expect(lines.length).toBe(6);
  });

  test("in JSON the count is a field", () => {
    const { log, lines } = capture("json", 2, 60_000, ticking());
    for (let i = 0; i < 3; i++) log.log(0, "E", "fan-out.ts", `left out after ${i}ms`);
    log.flush();
    expect(lines.length).toBe(2);
    const iso = (s: number) => new Date(at.getTime() + s * 1000).toISOString();
    expect(JSON.parse(lines[1])).toMatchObject({
      msg: "left out after 2ms",
      repeated: 2,
      level: "error",
      time: iso(3),
      first: iso(2),
      last: iso(3),
    });
  });
});

describe("text lines cannot be forged", () => {
  test("control characters from a client or a runtime are escaped, in the message and in fields", () => {
    const { log, lines } = capture("text");
    const annotation = "vm\nE1120 00:00:00.000000       1 proxy.ts] runtime primary is down\r\u0000";
    log.log(0, "E", "proxy.ts", `FAIL: unknown runtime "${annotation}"`, { value: annotation });
    expect(lines.length).toBe(1);
    expect(lines[0].indexOf("\n")).toBe(lines[0].length - 1);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may reach the line
    expect(lines[0]).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
    expect(lines[0]).toContain(
      'unknown runtime "vm\\nE1120 00:00:00.000000       1 proxy.ts] runtime primary is down\\r\\u0000"',
    );
  });
});
