// The CRI endpoint: an HTTP/2 cleartext server on a Unix socket, as kubelet's grpc-go dials it.
import { createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from "node:http2";
import { createServer as createNetServer, type Socket } from "node:net";
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import { SESSION_MEMORY_MB } from "../grpc/http2-limits.ts";
import type { Handlers } from "../grpc/call.ts";
import { filteredSocket } from "./filtered-socket.ts";
import { serveStream } from "./grpc-stream.ts";
import { bindPrivately, prepareSocketPath } from "./socket.ts";

export interface ServerOptions {
  readonly listen: string;
  readonly handlers: Handlers;
  /** Group for the socket (`--socket-group`), as a gid. */
  readonly gid?: number;
  /** Pass every connection through the AuthorityFilter (`--rewrite-authority`). */
  readonly rewriteAuthority?: boolean;
  /** Unexpected failures inside a call (logged; the call gets Internal, the proxy goes on). */
  readonly onError: (e: unknown) => void;
}

export interface RunningServer {
  /** Stops accepting, lets in-flight calls finish within `graceMs`, then cuts the rest and removes the socket. */
  close(graceMs: number): Promise<void>;
  /** Serves calls that start from now on with `handlers` (a reload); running calls finish on the old ones. */
  swap(handlers: Handlers): void;
}

/** Starts serving on the socket; resolves once it accepts connections. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const server: Http2Server = createServer({
    maxSessionMemory: SESSION_MEMORY_MB,
    settings: { initialWindowSize: 4 * 1024 * 1024, maxConcurrentStreams: 1000 },
  });
  // Connections are accepted here and handed to the HTTP/2 server: as they are (Bun's native
  // fast path), or through the AuthorityFilter when --rewrite-authority asks for it.
  const sockets = new Set<Socket>();
  const listener = createNetServer((raw) => {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    raw.on("error", () => {});
    server.emit("connection", opts.rewriteAuthority ? filteredSocket(raw) : raw);
  });
  const sessions = new Set<Http2Session>();
  // One reference read per stream: a reload swaps it atomically between two calls.
  let handlers = opts.handlers;
  server.on("session", (session) => {
    sessions.add(session);
    session.on("error", () => {}); // garbage on the wire ends that connection only
    session.on("close", () => sessions.delete(session));
  });
  server.on("sessionError", () => {});
  server.on("stream", (stream, headers) => {
    try {
      serveStream(stream as ServerHttp2Stream, headers, handlers, opts.onError);
    } catch (e) {
      opts.onError(e);
      stream.destroy();
    }
  });
  prepareSocketPath(opts.listen);
  await bindPrivately(
    opts.listen,
    (at) =>
      new Promise<void>((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(at, () => {
          listener.off("error", reject);
          resolve();
        });
      }),
    opts.gid,
  );
  listener.on("error", opts.onError);

  return {
    swap(next) {
      handlers = next;
    },
    async close(graceMs) {
      listener.close(); // no new connections
      const drained = Promise.all([...sessions].map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.close(() => resolve()))))); // GOAWAY: in-flight streams finish
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref?.());
      await Promise.race([drained, timeout]);
      for (const s of sessions) s.destroy();
      for (const raw of sockets) raw.destroy();
      removeSocket(opts.listen);
    },
  };
}

function removeSocket(path: string): void {
  try {
    if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone
  }
}
