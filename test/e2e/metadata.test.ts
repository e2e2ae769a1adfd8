// Request metadata and trace context end to end (README "Metadata"): kubelet's grpc-go client
// sends custom metadata, W3C trace context and its user-agent through criproxy to grpc-go
// runtimes that record what they receive, on every call kind; the runtimes' headers and
// trailers reach the client (for a merged answer: the primary's).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { existsSync, readFileSync } from "node:fs";
import { ContainerStatusRequestSchema, ListContainersRequestSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { VERSION } from "../../src/version.ts";
import { grpcGoClient, type GoCall } from "../support/grpc-go.ts";
import { startGrpcGoRuntime, type GrpcGoRuntime } from "../support/grpc-go-runtime.ts";
import { startProxy, tempDir, type ProxyProcess } from "../support/proxy-process.ts";
import { missing } from "../support/requires.ts";
import { waitFor } from "../support/wait.ts";

const skip = missing("grpc-go");
const KUBELET_UA = "kubelet/v1.31.0 (linux/amd64) kubernetes/9dbbc16";
export const SENT = {
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  tracestate: "vendor=opaque",
  baggage: "node=n1,pod=p1",
  "x-custom-key": "custom value",
};
const RUNTIME = "/runtime.v1.RuntimeService/";
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

let client: Awaited<ReturnType<typeof grpcGoClient>>;
let dir: ReturnType<typeof tempDir>;
let primary: GrpcGoRuntime;
let vm: GrpcGoRuntime;
let proxy: ProxyProcess;

interface Record {
  method: string;
  metadata: { [key: string]: string[] };
}
const records = (file: string): Record[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
const recordFile = (name: string) => `${dir.dir}/${name}.jsonl`;

beforeAll(async () => {
  if (skip) return;
  client = await grpcGoClient();
  dir = tempDir("criproxy-md-");
  const empty = new Uint8Array(0);
  const answers = new Map([
    [`${RUNTIME}ContainerStatus`, empty],
    [`${RUNTIME}RuntimeConfig`, empty],
  ]);
  primary = await startGrpcGoRuntime({
    socket: `${dir.dir}/primary.sock`,
    name: "primary",
    containers: 4,
    record: recordFile("primary"),
    answers,
  });
  vm = await startGrpcGoRuntime({
    socket: `${dir.dir}/vm.sock`,
    name: "vm",
    containers: 4,
    record: recordFile("vm"),
    answers,
  });
  proxy = await startProxy(["--connect", `${primary.socket},vm:${vm.socket}`]);
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await primary?.stop();
  await vm?.stop();
  dir?.remove();
});

// Each call kind: the call, the runtimes that must receive kubelet's metadata, and whose headers and trailers kubelet gets.
const kinds: [string, GoCall, string[], string][] = [
  ["unary", { method: `${RUNTIME}RuntimeConfig` }, ["primary"], "primary"],
  [
    "routed by id",
    {
      method: `${RUNTIME}ContainerStatus`,
      request: b64(
        toBinary(ContainerStatusRequestSchema, create(ContainerStatusRequestSchema, { containerId: "vm__c1" })),
      ),
    },
    ["vm"],
    "vm",
  ],
  [
    "fan-out (every part)",
    {
      method: `${RUNTIME}ListContainers`,
      request: b64(toBinary(ListContainersRequestSchema, create(ListContainersRequestSchema, {}))),
    },
    ["primary", "vm"],
    "primary",
  ],
  ["server stream (fanned in)", { method: `${RUNTIME}StreamContainers`, stream: true }, ["primary", "vm"], "primary"],
  ["events", { method: `${RUNTIME}GetContainerEvents`, stream: true }, ["primary", "vm"], "primary"],
];

test.skipIf(skip).each(kinds)(
  "%s: kubelet's metadata reaches the runtime unchanged, with criproxy's user-agent appended; the runtime's headers and trailers reach kubelet",
  async (_kind, call, receivers, answerer) => {
    // What the runtime sees from this client directly: grpc-go appends its own user-agent to kubelet's.
    const before = Object.fromEntries(receivers.map((r) => [r, records(recordFile(r)).length]));
    const [result] = await client(proxy.socket, [{ ...call, metadata: SENT }], undefined, KUBELET_UA);
    expect(result.failed).toBe(0);
    for (const r of receivers)
      await waitFor(() => records(recordFile(r)).length > before[r], 5000, `runtime ${r} to record ${call.method}`);
    const direct = await client(primary.socket, [{ method: `${RUNTIME}Version` }], undefined, KUBELET_UA);
    expect(direct[0].failed).toBe(0);
    const directUa = records(recordFile("primary")).at(-1)!.metadata["user-agent"][0];
    expect(directUa).toStartWith(`${KUBELET_UA} grpc-go/`);
    for (const r of receivers) {
      const seen = records(recordFile(r))
        .slice(before[r])
        .find((x) => x.method === call.method)!;
      expect(seen).toBeDefined();
      for (const [k, v] of Object.entries(SENT)) expect(seen.metadata[k]).toEqual([v]);
      expect(seen.metadata["user-agent"]).toEqual([`${directUa} criproxy/${VERSION}`]);
    }
    expect(result.headers?.["x-runtime"]).toEqual([answerer]);
    expect(result.trailers?.["x-runtime-trailer"]).toEqual([answerer]);
  },
  60_000,
);

test.skipIf(skip)(
  "a runtime's error reaches kubelet with the runtime's headers and trailers",
  async () => {
    const [result] = await client(
      proxy.socket,
      [{ method: `${RUNTIME}NotInThisCriVersion`, metadata: SENT }],
      undefined,
      KUBELET_UA,
    );
    expect(result).toMatchObject({ failed: 1, code: 12 });
    expect(result.headers?.["x-runtime"]).toEqual(["primary"]);
    expect(result.trailers?.["x-runtime-trailer"]).toEqual(["primary"]);
  },
  60_000,
);
