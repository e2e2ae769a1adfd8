// The hostile runtime does on the wire what its behaviours say: the fault tests rely on it.
import { missing } from "./requires.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromBinary } from "@bufbuild/protobuf";
import { status as grpcStatus } from "@grpc/grpc-js";
import { connect as h2connect } from "node:http2";
import { connect } from "node:net";
import { existsSync } from "node:fs";
import { ListPodSandboxResponseSchema } from "../../src/gen/runtime/v1/api_pb.ts";
import { RST_CODES, type Behaviour } from "./hostile-runtime/behaviour.ts";
import { hostileWorld, pathOf } from "./hostile-runtime/cri-answers.ts";
import { startHostileRuntime, type HostileRuntime } from "./hostile-runtime/hostile-runtime.ts";
import { criClient } from "./grpc-client.ts";
import { tempSocket } from "./temp-socket.ts";
import { codeOf } from "./wait.ts";

interface Wire {
  headers: boolean;
  status?: string;
  body: Buffer;
  rstCode: number;
  goaway?: number;
}

/** One call with Bun's node:http2 client (the proxy's): what arrived, as it arrived. */
function rawCall(socket: string, path: string): Promise<Wire> {
  return new Promise((resolve) => {
    const session = h2connect("http://localhost", { createConnection: () => connect(socket), maxSessionMemory: 256 });
    const wire: Wire = { headers: false, body: Buffer.alloc(0), rstCode: 0 };
    const chunks: Buffer[] = [];
    session.on("error", () => {});
    session.on("goaway", (_code, last) => (wire.goaway = last));
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("response", (h) => {
      wire.headers = true;
      if (h["grpc-status"] !== undefined) wire.status = String(h["grpc-status"]);
    });
    stream.on("trailers", (t) => (wire.status = String(t["grpc-status"])));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", () => {});
    stream.on("close", () => {
      wire.rstCode = stream.rstCode ?? 0;
      wire.body = Buffer.concat(chunks);
      session.destroy();
      resolve(wire);
    });
    stream.end(Buffer.alloc(5));
  });
}

describe.skipIf(missing("node"))("hostile runtime", () => {
  const world = hostileWorld();
  const list = pathOf("ListPodSandbox");
  let runtime: HostileRuntime;
  beforeAll(async () => {
    runtime = await startHostileRuntime(tempSocket("hostile-self"), world.answers);
  });
  afterAll(() => runtime?.stop());

  test("behaving, it answers valid CRI messages a gRPC client decodes", async () => {
    const client = criClient(runtime.socket, { deadlineMs: 5000 });
    try {
      const pods = await client.call<{ items: { id: string }[] }>("ListPodSandbox");
      expect(pods.items.map((p) => p.id)).toEqual([...world.pods]);
      const streamed: string[] = [];
      for await (const m of client.stream<{ podSandboxes: { id: string }[] }>("StreamPodSandboxes"))
        streamed.push(...m.podSandboxes.map((p) => p.id));
      expect(streamed).toEqual([...world.pods]);
    } finally {
      client.close();
    }
  });

  // NO_ERROR reads as 0 like no reset at all: only the codes a client can tell apart are checked.
  const codes = Object.entries(RST_CODES).filter(([, code]) => code !== 0);
  for (const [name, rstCode] of codes) {
    for (const at of ["before-headers", "after-headers", "after-data"] as const) {
      test(`reset ${name} ${at}: the code on the wire, after exactly what precedes it`, async () => {
        await runtime.behave(list, { action: "reset", at, rstCode });
        const wire = await rawCall(runtime.socket, list);
        expect(wire.rstCode).toBe(rstCode);
        expect(wire.headers).toBe(at !== "before-headers");
        expect(wire.body.length > 0).toBe(at === "after-data");
        expect(wire.status).toBeUndefined();
      });
    }
  }

  test("a stall holds the stream open until the client ends it, counted as open", async () => {
    await runtime.behave(list, { action: "stall", at: "after-data" });
    const before = await runtime.count(list);
    const client = criClient(runtime.socket, { deadlineMs: 300 });
    const err = await codeOf(client.call("ListPodSandbox"));
    client.close();
    expect(err.code).toBe(grpcStatus.DEADLINE_EXCEEDED);
    expect(await runtime.count(list)).toBe(before + 1);
  });

  test("garbage, truncated and oversize answers end OK with a body no client can take", async () => {
    const cases: [Behaviour["action"], (body: Buffer) => void][] = [
      ["garbage", (b) => expect(() => fromBinary(ListPodSandboxResponseSchema, b.subarray(5))).toThrow()],
      ["truncated", (b) => expect(b.readUInt32BE(1)).toBe(b.length - 5 + 10)],
      [
        "oversize",
        (b) => {
          expect(b.readUInt32BE(1)).toBe(b.length - 5);
          expect(b.length).toBeGreaterThan(16 * 1024 * 1024 + 5);
          // Still a valid message of the method's type: only its size is wrong.
          expect(fromBinary(ListPodSandboxResponseSchema, b.subarray(5)).items.map((p) => p.id)).toEqual([
            ...world.pods,
          ]);
        },
      ],
    ];
    for (const [action, check] of cases) {
      await runtime.behave(list, { action } as Behaviour);
      const wire = await rawCall(runtime.socket, list);
      expect(wire.status).toBe("0");
      check(wire.body);
    }
  });

  test("trailers-only status, GOAWAY, a closed connection; `times` and normal() restore answers", async () => {
    await runtime.behave(list, {
      action: "status",
      at: "before-headers",
      code: 2,
      message: "image pull failed: 50% done",
    });
    const client = criClient(runtime.socket, { deadlineMs: 2000 });
    const err = await codeOf(client.call("ListPodSandbox"));
    client.close();
    expect([err.code, err.details]).toEqual([grpcStatus.UNKNOWN, "image pull failed: 50% done"]);

    await runtime.behave(list, { action: "goaway", at: "after-data" });
    const away = await rawCall(runtime.socket, list);
    expect(away.goaway).toBe(1);
    expect(away.status).toBeUndefined();

    await runtime.behave(list, { action: "close", at: "after-headers", times: 1 });
    const closed = await rawCall(runtime.socket, list);
    expect([closed.headers, closed.status, closed.rstCode]).toEqual([true, undefined, 0]);
    expect((await rawCall(runtime.socket, list)).status).toBe("0"); // `times: 1` used up

    await runtime.behave("*", { action: "reset", at: "before-headers", rstCode: 2 });
    expect((await rawCall(runtime.socket, pathOf("Version"))).rstCode).toBe(2);
    await runtime.normal();
    expect((await rawCall(runtime.socket, pathOf("Version"))).status).toBe("0");
  });

  test("stop ends the process and removes its socket", async () => {
    const other = await startHostileRuntime(tempSocket("hostile-stop"));
    expect(existsSync(other.socket)).toBe(true);
    await other.stop();
    expect(existsSync(other.socket)).toBe(false);
    expect(() => process.kill(other.pid, 0)).toThrow();
  });
});
