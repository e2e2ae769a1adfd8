// The server at its connection limit, and streams reset before they are routed, over a real
// Unix socket: idle connections never lock a client out (the idlest makes room), and a call the
// client resets in the same read reaches no handler (so no runtime stream is opened for it).
import { afterEach, expect, test } from "bun:test";
import { connect } from "node:net";
import { ByteBudget } from "../../src/grpc/byte-budget.ts";
import { CLIENT_PREFACE, ErrorCode, frame as h2frame, rstStreamFrame, settingsFrame, T } from "../../src/h2/frames.ts";
import { encodeHeaders } from "../../src/h2/hpack.ts";
import { startServer, type RunningServer } from "../../src/server/server.ts";
import { frame } from "../support/grpc-frame.ts";
import { rawCall } from "../support/raw-http2.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { waitFor } from "../support/wait.ts";

const PATH = "/runtime.v1.RuntimeService/Version";
const REQUEST: [string, string][] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", PATH],
  ["content-type", "application/grpc"],
];
let server: RunningServer | undefined;
const sockets: ReturnType<typeof connect>[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close(100);
  server = undefined;
});

async function serve(opts: { maxConnections?: number; unary?: () => Promise<Uint8Array> } = {}) {
  const listen = tempSocket("limit");
  const lines: string[] = [];
  server = await startServer({
    listen,
    maxConnections: opts.maxConnections,
    handlers: { unary: opts.unary ?? (async () => new Uint8Array([1])), stream: async () => {} },
    budget: new ByteBudget(1e9),
    onFault: () => {},
    onClient: (w) => lines.push(w),
  });
  return { listen, lines };
}

/** A connection that says hello and then holds still. */
function idleClient(listen: string): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(listen, () => s.write(Buffer.concat([CLIENT_PREFACE, settingsFrame([])]), () => resolve()));
    s.on("error", () => {});
    sockets.push(s);
  });
}

test("at the limit, idle connections make room: a new client is answered at once", async () => {
  const { listen, lines } = await serve({ maxConnections: 8 });
  for (let i = 0; i < 12; i++) await idleClient(listen);
  await waitFor(() => server!.stats().connections === 8, 8000, "8 connections held");
  const started = performance.now();
  const answer = await rawCall(listen, PATH, new Uint8Array());
  expect(answer.status).toBe("0");
  expect(performance.now() - started).toBeLessThan(1000);
  expect(lines.some((l) => l.includes("an idle one was closed"))).toBe(true);
  expect(server!.stats().connections).toBeLessThanOrEqual(9);
});

test("a call reset in the same read as its request reaches no handler", async () => {
  let calls = 0;
  const { listen } = await serve({ unary: async () => (calls++, new Uint8Array([1])) });
  const s = connect(listen);
  sockets.push(s);
  const frames = [CLIENT_PREFACE, settingsFrame([])];
  for (let id = 1; id < 200; id += 2)
    frames.push(
      h2frame(T.HEADERS, 4, id, encodeHeaders(REQUEST)),
      h2frame(T.DATA, 1, id, frame(new Uint8Array())),
      rstStreamFrame(id, ErrorCode.CANCEL),
    );
  await new Promise<void>((r) => s.write(Buffer.concat(frames), () => r()));
  // A call sent after them, unreset, is answered: the connection is still served.
  const answered = await rawCall(listen, PATH, new Uint8Array());
  expect(answered.status).toBe("0");
  expect(calls).toBe(1);
});
