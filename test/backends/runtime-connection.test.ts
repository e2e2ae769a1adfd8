// The runtime side of a call's stream, on real sockets: the runtime's MAX_CONCURRENT_STREAMS is
// honoured (calls past it wait, none is refused), a REFUSED_STREAM is sent again only when a
// slot frees, a connection is replaced before its stream ids run out (the old one drains),
// and a runtime's GOAWAY is told with its code and debug text.
import { afterEach, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { Backend } from "../../src/backends/backend.ts";
import { unaryRaw } from "../../src/backends/raw-call.ts";
import type { H2Connection } from "../../src/h2/connection.ts";
import { listenH2 } from "../../src/h2/endpoint.ts";
import { ProxyMetrics } from "../../src/metrics/proxy-metrics.ts";
import { ErrorCode, goawayFrame } from "../../src/h2/frames.ts";
import type { H2Stream } from "../../src/h2/stream.ts";
import { frame } from "../support/grpc-frame.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { waitFor } from "../support/wait.ts";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const answer = (s: H2Stream) => {
  if (s.closed) return;
  s.sendHeaders([
    [":status", "200"],
    ["content-type", "application/grpc"],
  ]);
  void s.write(frame(Buffer.from("ok"))).catch(() => {});
  s.end([["grpc-status", "0"]]);
};

/** A runtime on a real socket: `onStream` decides what each call gets. */
function runtime(maxConcurrentStreams: number, onStream: (s: H2Stream, conn: H2Connection) => void) {
  const socket = tempSocket("rc");
  const conns: H2Connection[] = [];
  let open = 0;
  let peak = 0;
  let refused = 0;
  const server = listenH2(socket, {
    maxConcurrentStreams,
    streamWindow: 65535,
    connectionWindow: 65535,
    maxHeaderListSize: 65536,
    accept: () => ({
      attached: (c) => void conns.push(c),
      onRefused: () => void refused++,
      onStream: (s) => {
        const conn = conns.find((c) => c.streams.get(s.id) === s)!;
        peak = Math.max(peak, conn.active);
        open++;
        const close = s.onClose;
        s.onClose = (code, cause) => (open--, close(code, cause));
        s.onEnd = () => onStream(s, conn);
      },
    }),
  });
  cleanup.push(() => server.stop());
  return {
    socket,
    conns,
    get open() {
      return open;
    },
    get peak() {
      return peak;
    },
    get refused() {
      return refused;
    },
  };
}

async function backendOn(socket: string, idsReserve?: number) {
  const b = new Backend({ name: "vm", socket, connectTimeoutMs: 1000, idsReserve });
  const events: string[] = [];
  b.watch((_b, severity, message) => void events.push(`${severity} ${message}`));
  cleanup.push(() => b.close());
  b.start();
  await b.ready(5000);
  return { b, events };
}

const call = (b: Backend, deadlineMs = 5000) =>
  unaryRaw(b, "/runtime.v1.RuntimeService/Version", Buffer.alloc(0), { deadline: Date.now() + deadlineMs }).then((a) =>
    a.message(),
  );

test("calls past the runtime's MAX_CONCURRENT_STREAMS wait their turn: never more than it open, none refused, all answered", async () => {
  const held: H2Stream[] = [];
  let probed = false;
  const rt = runtime(2, (s) => (probed ? held.push(s) : ((probed = true), answer(s))));
  const { b } = await backendOn(rt.socket);
  const calls = Array.from({ length: 7 }, () => call(b));
  await waitFor(() => held.length === 2, 2000, "two streams opened");
  expect(b.queued).toBe(5);
  const metrics = new ProxyMetrics({ backends: () => [b], staleServed: () => 0 });
  expect(metrics.registry.render()).toContain('criproxy_backend_calls_waiting{backend="vm"} 5');
  // The runtime answers one at a time: each answer lets exactly one more call in.
  for (let answered = 0; answered < 7; answered++) {
    await waitFor(() => held.length > answered, 2000, `stream ${answered + 1} opened`);
    expect(rt.open).toBeLessThanOrEqual(2);
    answer(held[answered]);
  }
  expect((await Promise.all(calls)).map(String)).toEqual(Array(7).fill("ok"));
  expect([rt.peak, rt.refused]).toEqual([2, 0]);
  expect(b.queued).toBe(0);
  expect(metrics.registry.render()).toContain('criproxy_backend_calls_waiting{backend="vm"} 0');
});

test("a call waiting for a slot past its deadline is DeadlineExceeded, saying it waited for a stream; the others still run", async () => {
  const held: H2Stream[] = [];
  let probed = false;
  const rt = runtime(1, (s) => (probed ? held.push(s) : ((probed = true), answer(s))));
  const { b } = await backendOn(rt.socket);
  const first = call(b);
  await waitFor(() => held.length === 1, 2000, "the first call's stream");
  const e = await call(b, 100).catch((e) => e);
  expect(ConnectError.from(e).code).toBe(Code.DeadlineExceeded);
  expect(ConnectError.from(e).rawMessage).toBe(
    "deadline exceeded waiting for a stream on runtime vm (it takes 1 at once)",
  );
  expect(b.queued).toBe(0);
  answer(held[0]);
  expect(String(await first)).toBe("ok");
});

test("REFUSED_STREAM below the advertised limit: the call is sent again only once a slot frees, and is answered", async () => {
  const held: H2Stream[] = [];
  const seen: string[] = [];
  let probed = false;
  // Advertises 100, but takes only 2 at once (a runtime busy inside): the third is refused.
  const rt = runtime(100, (s) => {
    if (!probed) return ((probed = true), answer(s));
    if (held.filter((h) => !h.closed).length >= 2) return (seen.push("refused"), s.reset(ErrorCode.REFUSED_STREAM));
    seen.push("taken");
    held.push(s);
  });
  const { b } = await backendOn(rt.socket);
  const calls = [call(b), call(b), call(b)];
  await waitFor(() => seen.length === 3, 2000, "three streams seen");
  expect(seen).toEqual(["taken", "taken", "refused"]);
  await Bun.sleep(30); // a retry at once would be refused again: there is none
  expect(seen).toEqual(["taken", "taken", "refused"]);
  answer(held[0]);
  await waitFor(() => seen.length === 4, 2000, "the retry after a slot freed");
  expect(seen[3]).toBe("taken");
  answer(held[1]);
  answer(held[2]);
  expect((await Promise.all(calls)).map(String)).toEqual(["ok", "ok", "ok"]);
});

test("a connection is replaced before its stream ids run out; the old one drains its calls and closes", async () => {
  const held: H2Stream[] = [];
  let n = 0;
  const rt = runtime(100, (s) => (++n === 3 ? held.push(s) : answer(s)));
  // A new connection once a connection has opened 4 streams (of its 2^30 ids).
  const { b, events } = await backendOn(rt.socket, 2 ** 30 - 4);
  expect(String(await call(b))).toBe("ok"); // stream 2 (the probe was 1)
  const slow = call(b); // stream 3, held: the old connection must keep it
  await waitFor(() => held.length === 1, 2000, "the held call");
  for (let i = 0; i < 4; i++) expect(String(await call(b))).toBe("ok");
  expect(rt.conns.length).toBe(2);
  expect(events.some((e) => e.startsWith("I a new connection before the stream ids run out"))).toBe(true);
  expect(rt.conns[0].closed).toBe(false); // draining
  answer(held[0]);
  expect(String(await slow)).toBe("ok");
  await waitFor(() => rt.conns[0].closed, 2000, "the old connection closed once drained");
  expect(b.state).toBe("ready");
});

test("a runtime's GOAWAY is told with its code, last stream and debug text; the next call gets a new connection", async () => {
  const rt = runtime(100, answer);
  const { b, events } = await backendOn(rt.socket);
  rt.conns[0].output.push(goawayFrame(1, ErrorCode.ENHANCE_YOUR_CALM, "too many pings"));
  await waitFor(() => events.length > 0, 2000, "the GOAWAY told");
  expect(events[0]).toBe('W sent GOAWAY NGHTTP2_ENHANCE_YOUR_CALM (last stream 1): "too many pings"');
  expect(String(await call(b))).toBe("ok");
  expect(rt.conns.length).toBe(2);
});
