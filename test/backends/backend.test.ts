// A runtime's health is its connection's: one failed stream leaves a ready runtime ready; a
// lost connection does not; and a call whose deadline runs out while it waits for a runtime
// to connect is DeadlineExceeded, not Unavailable.
import { afterEach, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { Backend } from "../../src/backends/backend.ts";
import { routingTable } from "../../src/core/routing-table.ts";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { ByteBudget } from "../../src/grpc/byte-budget.ts";
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
  const ctx = callContext({ runtimes, table: routingTable([]), connectTimeoutMs: 1000, requestTimeoutMs: 0, staleGraceMs: 0, streamUrl: undefined, log: createLogger({ v: 0 }) });
  const call: Call = { path: "/runtime.v1.RuntimeService/Version", row: undefined, request: Buffer.alloc(0), deadline: Date.now() + 200, signal: new AbortController().signal, routedTo: [], ledger: new ByteBudget(1e9).ledger() };
  const started = performance.now();
  const e = await ctx.whenReady(ctx.primary, ctx.callOptions(call)).catch((e) => e);
  expect(ConnectError.from(e).code).toBe(Code.DeadlineExceeded);
  expect(performance.now() - started).toBeLessThan(1000);
  // Without kubelet's deadline, the proxy's own wait ends it: Unavailable, naming the socket.
  const ours = await ctx.whenReady(ctx.primary, { deadline: undefined }).catch((e) => e);
  expect(ConnectError.from(ours).code).toBe(Code.Unavailable);
}, 10_000);
