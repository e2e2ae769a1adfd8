// criproxy continues kubelet's trace (README "Tracing"): a grpc-go client sends W3C trace
// context through criproxy to grpc-go runtimes that record what they receive, and criproxy
// exports OTLP to a receiver in this test. One trace: the client's span -> criproxy's server
// span -> one runtime-call span per runtime -> the traceparent each runtime saw.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { existsSync, readFileSync } from "node:fs";
import { ListContainersRequestSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { grpcGoClient } from "../support/grpc-go.ts";
import { startGrpcGoRuntime, type GrpcGoRuntime } from "../support/grpc-go-runtime.ts";
import { startProxy, tempDir, type ProxyProcess } from "../support/proxy-process.ts";
import { missing } from "../support/requires.ts";
import { waitFor } from "../support/wait.ts";

const skip = missing("grpc-go");
const RUNTIME = "/runtime.v1.RuntimeService/";
const SERVER = 2; // OTLP SpanKind
const CLIENT = 3;

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status?: { code?: number };
}

let client: Awaited<ReturnType<typeof grpcGoClient>>;
let dir: ReturnType<typeof tempDir>;
let primary: GrpcGoRuntime;
let vm: GrpcGoRuntime;
let proxy: ProxyProcess;
let receiver: ReturnType<typeof Bun.serve>;
const spans: Span[] = [];
const resources: Record<string, unknown>[] = [];

// OTLP/JSON attribute values: {stringValue}, {intValue} (a string), {boolValue}, {arrayValue: {values}}.
function valueOf(v: Record<string, unknown>): unknown {
  if ("arrayValue" in v) return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(valueOf);
  if ("intValue" in v) return Number(v.intValue);
  return Object.values(v)[0];
}
const attributesOf = (list: { key: string; value: Record<string, unknown> }[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

const records = (name: string): { method: string; metadata: Record<string, string[]> }[] => {
  const file = `${dir.dir}/${name}.jsonl`;
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
};
const sawFor = (name: string, method: string, traceId: string) =>
  records(name).find((r) => r.method === method && r.metadata.traceparent?.[0].includes(traceId));
const trace = (traceId: string) => spans.filter((s) => s.traceId === traceId);
const randomHex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

beforeAll(async () => {
  if (skip) return;
  receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      if (new URL(req.url).pathname !== "/v1/traces") return new Response("not found", { status: 404 });
      const body = (await req.json()) as {
        resourceSpans: { resource: { attributes: [] }; scopeSpans: { spans: (Span & { attributes: [] })[] }[] }[];
      };
      for (const rs of body.resourceSpans) {
        resources.push(attributesOf(rs.resource.attributes));
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans) spans.push({ ...s, attributes: attributesOf(s.attributes) });
      }
      return Response.json({});
    },
  });
  client = await grpcGoClient();
  dir = tempDir("criproxy-tr-");
  const answers = new Map([[`${RUNTIME}RuntimeConfig`, new Uint8Array(0)]]);
  primary = await startGrpcGoRuntime({
    socket: `${dir.dir}/primary.sock`,
    name: "primary",
    containers: 4,
    record: `${dir.dir}/primary.jsonl`,
    answers,
  });
  vm = await startGrpcGoRuntime({
    socket: `${dir.dir}/vm.sock`,
    name: "vm",
    containers: 4,
    record: `${dir.dir}/vm.jsonl`,
    answers,
  });
  // Kubernetes' default rate: only calls whose parent is sampled are recorded. The batch goes out every 50 ms.
  const args = [
    "--connect",
    `${primary.socket},vm:${vm.socket}`,
    "--tracing-endpoint",
    `127.0.0.1:${receiver.port}`,
    "--tracing-sampling-rate-per-million",
    "0",
    "-v",
    "5",
  ];
  proxy = await startProxy(args, { env: { OTEL_BSP_SCHEDULE_DELAY: "50" } });
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await primary?.stop();
  await vm?.stop();
  receiver?.stop(true);
  dir?.remove();
});

/** Sends `method` with a sampled traceparent from a fresh client span; resolves with the ids. */
async function tracedCall(method: string, request = "") {
  const traceId = randomHex(16);
  const clientSpan = randomHex(8);
  const [result] = await client(proxy.socket, [
    { method, request, metadata: { traceparent: `00-${traceId}-${clientSpan}-01`, tracestate: "kubelet=1" } },
  ]);
  expect(result.failed).toBe(0);
  return { traceId, clientSpan };
}

test.skipIf(skip)(
  "a unary call: client span -> criproxy's server span -> its runtime-call span -> the traceparent the runtime saw",
  async () => {
    const method = `${RUNTIME}RuntimeConfig`;
    const { traceId, clientSpan } = await tracedCall(method);
    await waitFor(() => trace(traceId).length >= 2, 10_000, "criproxy's spans to be exported");
    const server = trace(traceId).find((s) => s.kind === SERVER)!;
    expect(server).toMatchObject({ name: "runtime.v1.RuntimeService/RuntimeConfig", parentSpanId: clientSpan });
    expect(server.attributes).toMatchObject({
      "rpc.system": "grpc",
      "rpc.service": "runtime.v1.RuntimeService",
      "rpc.method": "RuntimeConfig",
      "rpc.grpc.status_code": 0,
      "criproxy.route": "primary",
      "criproxy.runtimes": ["primary"],
    });
    const child = trace(traceId).find((s) => s.kind === CLIENT)!;
    expect(child).toMatchObject({ name: "runtime.v1.RuntimeService/RuntimeConfig", parentSpanId: server.spanId });
    expect(child.attributes).toMatchObject({
      "rpc.system": "grpc",
      "rpc.method": "RuntimeConfig",
      "criproxy.runtime": "primary",
      "rpc.grpc.status_code": 0,
      "criproxy.request_bytes": 5,
      "criproxy.answer_bytes": 5,
    });
    const seen = sawFor("primary", method, traceId)!;
    expect(seen.metadata.traceparent).toEqual([`00-${traceId}-${child.spanId}-01`]);
    expect(seen.metadata.tracestate).toEqual(["kubelet=1"]);
    expect(resources).toContainEqual(expect.objectContaining({ "service.name": "criproxy" }));
  },
  60_000,
);

test.skipIf(skip)(
  "a merged list over two runtimes: one runtime-call span per runtime, each the parent of what that runtime saw",
  async () => {
    const method = `${RUNTIME}ListContainers`;
    const request = Buffer.from(
      toBinary(ListContainersRequestSchema, create(ListContainersRequestSchema, {})),
    ).toString("base64");
    const { traceId, clientSpan } = await tracedCall(method, request);
    await waitFor(() => trace(traceId).length >= 3, 10_000, "criproxy's spans to be exported");
    const server = trace(traceId).find((s) => s.kind === SERVER)!;
    expect(server).toMatchObject({ parentSpanId: clientSpan, name: "runtime.v1.RuntimeService/ListContainers" });
    expect(server.attributes).toMatchObject({
      "criproxy.route": "list",
      "criproxy.plan": "fan-out",
      "criproxy.runtimes": ["primary", "vm"],
    });
    const children = trace(traceId).filter((s) => s.kind === CLIENT);
    expect(children.map((c) => c.attributes["criproxy.runtime"]).sort()).toEqual(["primary", "vm"]);
    for (const c of children) {
      expect(c.parentSpanId).toBe(server.spanId);
      expect(c.attributes["criproxy.answer_bytes"]).toBeGreaterThan(5);
      expect(sawFor(c.attributes["criproxy.runtime"] as string, method, traceId)!.metadata.traceparent).toEqual([
        `00-${traceId}-${c.spanId}-01`,
      ]);
    }
    // At -v 2 and up the call's log lines carry its trace id (a list is dumped at -v 5).
    await waitFor(
      () => proxy.log().includes(`LEAVE: ${method} on primary,vm in`) && proxy.log().includes(`trace_id=${traceId}`),
      5000,
      "the log line with the trace id",
    );
    if (process.env.PRINT_TRACE)
      console.log(
        JSON.stringify({
          clientSpan,
          spans: trace(traceId),
          saw: Object.fromEntries(
            ["primary", "vm"].map((r) => [r, sawFor(r, method, traceId)!.metadata.traceparent[0]]),
          ),
        }),
      );
  },
  60_000,
);

test.skipIf(skip)(
  "a parent that is not sampled: nothing is exported, and the runtime still continues the trace, unsampled",
  async () => {
    const method = `${RUNTIME}RuntimeConfig`;
    const traceId = randomHex(16);
    const clientSpan = randomHex(8);
    const [result] = await client(proxy.socket, [
      { method, metadata: { traceparent: `00-${traceId}-${clientSpan}-00` } },
    ]);
    expect(result.failed).toBe(0);
    await waitFor(() => sawFor("primary", method, traceId) !== undefined, 5000, "the runtime to record the call");
    const seen = sawFor("primary", method, traceId)!.metadata.traceparent[0];
    expect(seen).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    // A sampled call after it is exported: had the unsampled one been, it would be by then.
    const later = await tracedCall(method);
    await waitFor(() => trace(later.traceId).length >= 2, 10_000, "the later call's spans");
    expect(trace(traceId)).toEqual([]);
  },
  60_000,
);
