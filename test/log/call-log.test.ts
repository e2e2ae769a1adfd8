// Logs say whose failure it is: a runtime's status (containerd's image-pull Unknown) is a FAIL
// line at -v 2 naming the runtime, with no stack; a client's cancel is not an error; values a
// pod or runtime chose cannot forge a line; -v 0 writes nothing per call.
import { describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { methodTable } from "../../src/core/methods.ts";
import { route } from "../../src/core/route.ts";
import { routingTable } from "../../src/core/routing-table.ts";
import { PullImageRequestSchema, RunPodSandboxRequestSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { ByteBudget } from "../../src/grpc/byte-budget.ts";
import type { Call, Handlers } from "../../src/grpc/call.ts";
import { errorFromFields } from "../../src/grpc/status.ts";
import { callLog } from "../../src/log/call-log.ts";
import { createLogger } from "../../src/log/logger.ts";

const path = (m: string, svc = "RuntimeService") => `/runtime.v1.${svc}/${m}`;

function call(p: string, request: Uint8Array = new Uint8Array(), signal = new AbortController().signal): Call {
  return {
    path: p,
    row: methodTable.get(p),
    request: Buffer.from(request),
    deadline: undefined,
    signal,
    routedTo: ["primary"],
    ledger: new ByteBudget(1e9).ledger(),
  };
}

function logged(v: number, format: "text" | "json" = "text") {
  const lines: string[] = [];
  const log = createLogger({ v, format, write: (l) => lines.push(l) });
  const wrap = (h: Partial<Handlers>) =>
    callLog(log)({ unary: h.unary ?? (async () => new Uint8Array()), stream: h.stream ?? (async () => {}) });
  return { lines, wrap };
}

describe("whose failure", () => {
  // What containerd answers when a pull fails: Unknown, with its own text.
  const pullFailed = errorFromFields([
    ["grpc-status", "2"],
    ["grpc-message", 'failed to pull and unpack image "docker.io/library/nope:1": not found'],
  ])!;
  const pull = () =>
    call(
      path("PullImage", "ImageService"),
      toBinary(
        PullImageRequestSchema,
        create(PullImageRequestSchema, { image: { image: "docker.io/library/nope:1" } }),
      ),
    );

  test("a runtime's status, whatever its code, is one FAIL line at -v 2 with no stack", async () => {
    const { lines, wrap } = logged(2);
    await wrap({ unary: () => Promise.reject(pullFailed) })
      .unary(pull())
      .catch(() => {});
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(
      /^E\d{4} .* proxy\.ts\] FAIL: \/runtime\.v1\.ImageService\/PullImage on primary in [\d.]+ms: Unknown: failed to pull and unpack image/,
    );
    expect(lines[0]).not.toContain("    at ");
    expect(lines[0]).not.toContain("unexpected");
  });

  test("at -v 0 and 1 a failed call writes nothing", async () => {
    for (const v of [0, 1]) {
      const { lines, wrap } = logged(v);
      await wrap({ unary: () => Promise.reject(pullFailed) })
        .unary(pull())
        .catch(() => {});
      expect(lines).toEqual([]);
    }
  });

  test("a client that cancels its GetContainerEvents is not an error", async () => {
    const { lines, wrap } = logged(5);
    const hangUp = new AbortController();
    const events = call(path("GetContainerEvents"), new Uint8Array(), hangUp.signal);
    const running = wrap({
      stream: () =>
        new Promise((_, reject) =>
          hangUp.signal.addEventListener("abort", () =>
            reject(new ConnectError("call to runtime primary canceled", Code.Canceled)),
          ),
        ),
    }).stream(events, async () => {});
    hangUp.abort();
    await running.catch(() => {});
    expect(lines.filter((l) => l.startsWith("E") || l.startsWith("W"))).toEqual([]);
    expect(lines.some((l) => l.includes("CANCELED by the client"))).toBe(true);
  });

  test("in JSON, the failure is a record with the runtime, the code and the ids", async () => {
    const { lines, wrap } = logged(2, "json");
    await wrap({ unary: () => Promise.reject(pullFailed) })
      .unary(pull())
      .catch(() => {});
    expect(JSON.parse(lines[0])).toMatchObject({
      level: "error",
      method: "PullImage",
      backend: "primary",
      code: "Unknown",
      image: "docker.io/library/nope:1",
    });
  });
});

test("an annotation with a newline cannot forge a log line", async () => {
  const { lines, wrap } = logged(3);
  const request = create(RunPodSandboxRequestSchema, {
    config: {
      metadata: { name: "p", namespace: "ns" },
      annotations: {
        "kubernetes.io/target-runtime": "vm\nE1201 00:00:00.000000       1 backend.ts] runtime primary is down",
      },
    },
  });
  const c = call(path("RunPodSandbox"), toBinary(RunPodSandboxRequestSchema, request));
  // The route's own error names the annotation's value, as kubelet will see it.
  const plan = route(c.row!, request, routingTable(["vm"]));
  await wrap({ unary: () => Promise.reject(plan.kind === "error" ? plan.error : new Error("routed")) })
    .unary(c)
    .catch(() => {});
  const text = lines.join("");
  expect(text.split("\n").filter(Boolean).length).toBe(lines.length);
  for (const line of lines) expect(line).toMatch(/^[IWE]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ proxy\.ts\] /);
  expect(text).toContain('unknown runtime "vm\\nE1201');
});
