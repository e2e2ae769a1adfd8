// kubelet's limits, at every hop, with grpc-go on both ends (kubelet's and containerd's gRPC
// library): answers of 4, 8 and 15.9 MiB pass intact from one runtime, merged from two, and 16
// at a time; a 15.9 MiB request passes intact; over 16 MiB is ResourceExhausted, promptly, at
// the first hop that sees it, naming it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromBinary } from "@bufbuild/protobuf";
import { ListContainersResponseSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { grpcGoClient, type GoResult } from "../support/grpc-go.ts";
import { rawCall } from "../support/raw-http2.ts";
import { startGrpcGoRuntime, type GrpcGoRuntime } from "../support/grpc-go-runtime.ts";
import { spawnFakeProcess } from "../support/fake-process.ts";
import { startProxy, type ProxyProcess } from "../support/proxy-process.ts";
import { missing } from "../support/requires.ts";
import { tempSocket } from "../support/temp-socket.ts";

const skip = missing("grpc-go");
const MiB = 1024 * 1024;
const LIST = "/runtime.v1.RuntimeService/ListContainers";
const SIZES = { "4 MiB": 4 * MiB + 4096, "8 MiB": 8 * MiB, "15.9 MiB": Math.round(15.9 * MiB) } as const;
const started: { stop(): Promise<unknown> }[] = [];
let client: Awaited<ReturnType<typeof grpcGoClient>>;

async function runtime(
  name: string,
  bytes: number,
  extra: { echoUnknown?: boolean; containers?: number } = {},
): Promise<GrpcGoRuntime> {
  const rt = await startGrpcGoRuntime({
    socket: tempSocket(`lim-${name}`),
    name,
    containers: extra.containers ?? 200,
    listContainersBytes: bytes,
    echoUnknown: extra.echoUnknown,
  });
  started.push(rt);
  return rt;
}
/** kubelet's CRI deadline: 16 answers of 15.9 MiB at once can take more than 10 s on a loaded machine. */
const KUBELET_TIMEOUT_MS = 2 * 60_000;
async function proxy(connect: string): Promise<ProxyProcess> {
  // These tests are about sizes, not the named runtime's budget: on a loaded machine, a 16 MiB part can take more than 5 s.
  const p = await startProxy(["--connect", connect, "--fan-out-budget", "2m"]);
  started.push(p);
  return p;
}
const answerOf = (r: GoResult) => Buffer.from(r.answers![0], "base64");
const timed = async <T>(p: Promise<T>) => {
  const t0 = performance.now();
  return { value: await p, ms: performance.now() - t0 };
};

beforeAll(async () => {
  if (!skip) client = await grpcGoClient();
}, 120_000);
afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
});

describe.skipIf(skip)("answers up to 16 MiB pass intact", () => {
  test.each(Object.entries(SIZES))(
    "%s from one runtime, once and 16 at a time",
    async (_, bytes) => {
      const rt = await runtime("one", bytes);
      const px = await proxy(rt.socket);
      const [once] = await client(px.socket, [{ method: LIST }]);
      expect(once).toMatchObject({ code: 0, failed: 0 });
      expect(answerOf(once).equals(Buffer.from(rt.answers.get(LIST)!))).toBe(true);
      const [many] = await client(px.socket, [
        { method: LIST, parallel: 16, repeat: 1, timeoutMs: KUBELET_TIMEOUT_MS },
      ]);
      expect(many).toMatchObject({ code: 0, calls: 16, failed: 0 });
      expect(many.answers).toHaveLength(1); // all 16 the same bytes
      expect(answerOf(many).length).toBe(bytes);
    },
    150_000,
  );

  test.each(Object.entries(SIZES))(
    "%s merged from two runtimes, once and 16 at a time: every container, the named runtime's prefixed",
    async (_, bytes) => {
      // Half from each; the named half a little smaller, for the "vm__" its ids gain on the way.
      const primary = await runtime("mp", Math.round(bytes / 2));
      const vm = await runtime("mv", Math.round(bytes / 2) - 64 * 1024);
      const px = await proxy(`${primary.socket},vm:${vm.socket}`);
      for (const parallel of [1, 16]) {
        const [r] = await client(px.socket, [{ method: LIST, parallel, repeat: 1, timeoutMs: KUBELET_TIMEOUT_MS }]);
        expect(r).toMatchObject({ code: 0, calls: parallel, failed: 0 });
        expect(r.answers).toHaveLength(1); // every answer the same bytes
        const merged = fromBinary(ListContainersResponseSchema, answerOf(r));
        expect(merged.containers.length).toBe(400);
        expect(merged.containers.filter((c) => c.id.startsWith("vm__")).length).toBe(200);
        expect(answerOf(r).length).toBeGreaterThan(bytes - 128 * 1024);
        expect(answerOf(r).length).toBeLessThanOrEqual(16 * MiB);
      }
    },
    150_000,
  );
});

describe.skipIf(skip)("the built-in fake runtime past the old 4 MiB stall", () => {
  test("a 5 MB ListContainers (1400 pods), from one fake and merged with a second, 16 at a time", async () => {
    const primary = await spawnFakeProcess({ socket: tempSocket("lim-fake"), pods: 1400 });
    started.push({ stop: () => primary.kill() });
    const vm = await spawnFakeProcess({ socket: tempSocket("lim-fake-vm"), pods: 300, name: "vm" });
    started.push({ stop: () => vm.kill() });
    const single = await proxy(primary.socket);
    const merged = await proxy(`${primary.socket},vm:${vm.socket}`);
    const [one] = await client(single.socket, [{ method: LIST, parallel: 16, repeat: 1 }]);
    expect(one).toMatchObject({ code: 0, calls: 16, failed: 0 });
    expect(answerOf(one).length).toBeGreaterThan(4.5 * MiB);
    expect(fromBinary(ListContainersResponseSchema, answerOf(one)).containers.length).toBe(5600);
    const [both] = await client(merged.socket, [{ method: LIST, parallel: 16, repeat: 1 }]);
    expect(both).toMatchObject({ code: 0, calls: 16, failed: 0 });
    expect(fromBinary(ListContainersResponseSchema, answerOf(both)).containers.length).toBe(6800);
  }, 60_000);
});

describe.skipIf(skip)("over 16 MiB: ResourceExhausted at the first hop that sees it, promptly", () => {
  test("a runtime's answer over 16 MiB: refused by the proxy, naming the runtime", async () => {
    const rt = await startGrpcGoRuntime({
      socket: tempSocket("lim-over"),
      name: "over",
      containers: 200,
      listContainersBytes: 16 * MiB + 1,
      maxMessageBytes: 32 * MiB,
    });
    started.push(rt);
    const px = await proxy(rt.socket);
    const {
      value: [r],
      ms,
    } = await timed(client(px.socket, [{ method: LIST }]));
    expect(r).toMatchObject({ code: 8, failed: 1 });
    expect(r.message).toContain("runtime primary");
    expect(r.message).toContain("16777216 byte limit");
    expect(ms).toBeLessThan(5000); // the client process included; the proxy refuses at the prefix
  }, 60_000);

  test("two runtimes' parts that merge to over 16 MiB: refused, naming each runtime's share", async () => {
    const primary = await runtime("op", 9 * MiB);
    const vm = await runtime("ov", 9 * MiB);
    const px = await proxy(`${primary.socket},vm:${vm.socket}`);
    const [r] = await client(px.socket, [{ method: LIST }]);
    expect(r).toMatchObject({ code: 8, failed: 1 });
    expect(r.message).toMatch(/primary \d+, vm \d+/);
  }, 60_000);
});

describe.skipIf(skip)("requests up to 16 MiB pass intact", () => {
  const echo = "/runtime.v1.RuntimeService/NotInThisCriVersionEcho"; // forwarded as bytes to the primary, which echoes it
  test("a 15.9 MiB request reaches the runtime intact (and its echo comes back)", async () => {
    const rt = await runtime("echo", 1000, { echoUnknown: true, containers: 1 });
    const px = await proxy(rt.socket);
    const request = Buffer.alloc(Math.round(15.9 * MiB));
    for (let i = 0; i < request.length; i += 4096) request[i] = i & 0xff;
    const [r] = await client(px.socket, [{ method: echo, request: request.toString("base64") }]);
    expect(r).toMatchObject({ code: 0, failed: 0 });
    expect(answerOf(r).equals(request)).toBe(true);
  }, 60_000);

  test("a request over 16 MiB is ResourceExhausted from the proxy; the runtime never sees it", async () => {
    const rt = await runtime("echo2", 1000, { echoUnknown: true, containers: 1 });
    const px = await proxy(rt.socket);
    const over = Buffer.alloc(16 * MiB + 10);
    // grpc-go refuses to send past its own 16 MiB limit, as kubelet would: the proxy is asked by a raw client.
    const { value: answer, ms } = await timed(rawCall(px.socket, echo, over));
    expect(answer.status).toBe("8");
    expect(answer.message).toContain("larger than the 16777216 byte limit");
    expect(ms).toBeLessThan(5000);
  }, 60_000);
});
