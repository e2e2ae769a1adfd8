// A runtime's health is its connection's: one failed stream leaves a ready runtime ready; a
// lost connection does not; and a call whose deadline runs out while it waits for a runtime
// to connect is DeadlineExceeded, not Unavailable. A connection ended by GOAWAY is not the
// runtime's end while a newer one serves.
import { afterEach, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { Backend } from "../../src/backends/backend.ts";
import { unaryRaw } from "../../src/backends/raw-call.ts";
import { routingTable } from "../../src/core/routing-table.ts";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { ByteBudget } from "../../src/grpc/byte-budget.ts";
import type { H2Connection } from "../../src/h2/connection.ts";
import { listenH2 } from "../../src/h2/endpoint.ts";
import type { H2Stream } from "../../src/h2/stream.ts";
import type { Call } from "../../src/grpc/call.ts";
import { createLogger } from "../../src/log/logger.ts";
import { callContext } from "../../src/pipeline/call-context.ts";
import { RuntimeSet } from "../../src/pipeline/runtime-set.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { waitFor } from "../support/wait.ts";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

test("a failed stream never flips a ready runtime; a lost connection does", async () => {
  const fake = await startFakeRuntime({ socket: tempSocket("be-rt") });
  cleanup.push(() => fake.stop());
  const b = new Backend({ name: "vm", socket: fake.socket, connectTimeoutMs: 1000 });
  cleanup.push(() => b.close());
  b.start();
  await b.ready(5000);
  b.failed(new ConnectError("runtime vm reset the stream (NGHTTP2_INTERNAL_ERROR)", Code.Unavailable));
  b.failed(new ConnectError("deadline exceeded waiting for runtime vm", Code.DeadlineExceeded));
  expect(b.state).toBe("ready");
  await fake.stop();
  await waitFor(() => b.state !== "ready", 3000, "the lost connection noticed");
});

test("a deadline that runs out while waiting for a runtime to connect is DeadlineExceeded", async () => {
  const runtimes = new RuntimeSet(createLogger({ v: 0, write: () => {} }));
  cleanup.push(() => runtimes.close());
  runtimes.configure([{ name: "", socket: tempSocket("nobody-here") }], 1000);
  const ctx = callContext({
    runtimes,
    table: routingTable([]),
    connectTimeoutMs: 1000,
    requestTimeoutMs: 0,
    staleGraceMs: 0,
    fanOutBudgetMs: 5000,
    streamUrl: undefined,
    log: createLogger({ v: 0 }),
  });
  const call: Call = {
    path: "/runtime.v1.RuntimeService/Version",
    row: undefined,
    request: Buffer.alloc(0),
    deadline: Date.now() + 200,
    signal: new AbortController().signal,
    routedTo: [],
    ledger: new ByteBudget(1e9).ledger(),
  };
  const started = performance.now();
  const e = await ctx.whenReady(ctx.primary, ctx.callOptions(call)).catch((e) => e);
  expect(ConnectError.from(e).code).toBe(Code.DeadlineExceeded);
  expect(performance.now() - started).toBeLessThan(1000);
  // Without kubelet's deadline, the proxy's own wait ends it: Unavailable, naming the socket.
  const ours = await ctx.whenReady(ctx.primary, { deadline: undefined }).catch((e) => e);
  expect(ConnectError.from(ours).code).toBe(Code.Unavailable);
}, 10_000);

test("a GOAWAY with a call in flight: the next call gets a new connection, which the old one's end does not forget", async () => {
  const socket = tempSocket("be-goaway");
  const accepted: H2Connection[] = [];
  let open = 0;
  const held: H2Stream[] = [];
  const answer = (s: H2Stream) => {
    s.sendHeaders([
      [":status", "200"],
      ["content-type", "application/grpc"],
    ]);
    void s.write(Buffer.alloc(5));
    s.end([["grpc-status", "0"]]);
  };
  const server = listenH2(socket, {
    maxConcurrentStreams: 100,
    streamWindow: 65535,
    connectionWindow: 65535,
    maxHeaderListSize: 65536,
    accept: () => ({
      attached: (c) => (accepted.push(c), open++),
      onClose: () => open--,
      onStream: (s, h) => {
        s.onEnd = () => (h.find(([n]) => n === ":path")![1].endsWith("Hold") ? held.push(s) : answer(s));
      },
    }),
  });
  cleanup.push(() => server.stop());
  const b = new Backend({ name: "vm", socket, connectTimeoutMs: 1000 });
  cleanup.push(() => b.close());
  b.start();
  await b.ready(3000);
  const states: string[] = [];
  b.subscribe((x) => states.push(x.state));

  const slow = unaryRaw(b, "/x/Hold", new Uint8Array());
  await waitFor(() => held.length === 1, 2000, "the held call");
  accepted[0].goaway();
  await Bun.sleep(20);
  await (await unaryRaw(b, "/x/Fast", new Uint8Array())).message();
  expect(accepted).toHaveLength(2);
  answer(held[0]);
  await (await slow).message();
  await waitFor(() => open === 1, 2000, "the old connection closed");
  // The runtime stayed ready, and the next call reuses the second connection.
  await (await unaryRaw(b, "/x/Fast", new Uint8Array())).message();
  expect(states).toEqual([]);
  expect([accepted.length, open]).toEqual([2, 1]);
});
