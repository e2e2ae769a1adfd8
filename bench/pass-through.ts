// The pass-through floor: a bare Bun node:http2 server on a Unix socket that forwards each
// gRPC call's bytes to the runtime over one node:http2 client session, with no criproxy code
// (no routing, no framing, no metrics). What the proxy costs above this is criproxy's own.
//   bun bench/pass-through.ts --listen PATH --connect RUNTIME_SOCKET
// It uses the proxy's own HTTP/2 settings (src/server/server.ts, src/backends/backend.ts).
import {
  connect as http2Connect,
  createServer,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { connect as netConnect } from "node:net";
import { rmSync } from "node:fs";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || !process.argv[i + 1])
    throw new Error(`usage: bun bench/pass-through.ts --listen PATH --connect PATH (${name} missing)`);
  return process.argv[i + 1];
};
const listen = arg("--listen");
const runtime = arg("--connect");
const WINDOW = 4 * 1024 * 1024;
const SESSION_MEMORY_MB = 256;

let session: ClientHttp2Session | undefined;
function upstream(): ClientHttp2Session {
  if (session && !session.closed && !session.destroyed) return session;
  const s = http2Connect("http://localhost", {
    createConnection: () => netConnect(runtime),
    maxSessionMemory: SESSION_MEMORY_MB,
    settings: { initialWindowSize: WINDOW },
  });
  s.on("error", () => {});
  session = s;
  return s;
}

/** Forwards one call: request bytes up, answer headers, bytes and trailers down, as they come. */
function forward(down: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const out: Record<string, string> = {
    ":method": "POST",
    ":path": String(headers[":path"]),
    "content-type": "application/grpc",
    te: "trailers",
  };
  if (headers["grpc-timeout"]) out["grpc-timeout"] = String(headers["grpc-timeout"]);
  const up = upstream().request(out);
  let trailers: IncomingHttpHeaders = {};
  const fail = () => {
    if (!down.headersSent && !down.destroyed)
      down.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": "14",
          "grpc-message": "runtime unreachable",
        },
        { endStream: true },
      );
    else down.close();
  };
  up.on("error", fail);
  down.on("error", () => up.close());
  down.on("data", (chunk: Buffer) => up.write(chunk));
  down.on("end", () => up.end());
  up.on("response", (h) => {
    if (h["grpc-status"] !== undefined)
      return down.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": String(h["grpc-status"]),
          "grpc-message": String(h["grpc-message"] ?? ""),
        },
        { endStream: true },
      );
    down.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    down.once("wantTrailers", () =>
      down.sendTrailers({
        "grpc-status": String(trailers["grpc-status"] ?? "2"),
        "grpc-message": String(trailers["grpc-message"] ?? ""),
      }),
    );
  });
  up.on("trailers", (t) => (trailers = t));
  up.on("data", (chunk: Buffer) => down.write(chunk));
  up.on("end", () => {
    if (!down.destroyed && down.headersSent && !down.writableEnded) down.end();
  });
}

const server = createServer({
  maxSessionMemory: SESSION_MEMORY_MB,
  settings: { initialWindowSize: WINDOW, maxConcurrentStreams: 1000 },
});
server.on("session", (s) => s.on("error", () => {}));
server.on("stream", (stream, headers) => forward(stream as ServerHttp2Stream, headers));
rmSync(listen, { force: true });
server.listen(listen);
process.on("SIGTERM", () => {
  rmSync(listen, { force: true });
  process.exit(0);
});
