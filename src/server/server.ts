// The CRI endpoint: an HTTP/2 cleartext server on a Unix socket, as kubelet's grpc-go dials it.
// Connections are bounded in number and closed when idle; streams in number per connection.
import { createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from "node:http2";
import { createServer as createNetServer, type Socket } from "node:net";
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import type { ByteBudget } from "../grpc/byte-budget.ts";
import type { Handlers } from "../grpc/call.ts";
import { SESSION_MEMORY_MB } from "../grpc/http2-limits.ts";
import { filteredSocket } from "./filtered-socket.ts";
import { serveStream } from "./serve-stream.ts";
import { bindPrivately, prepareSocketPath } from "./socket.ts";

export interface ServerOptions {
  readonly listen: string;
  readonly handlers: Handlers;
  readonly budget: ByteBudget;
  /** Group for the socket (`--socket-group`), as a gid. */
  readonly gid?: number;
  /** Pass every connection through the AuthorityFilter (`--rewrite-authority`). */
  readonly rewriteAuthority?: boolean;
  /** Open connections at most; more are closed at once (kubelet holds one or two). */
  readonly maxConnections?: number;
  /** A connection with no open stream for this long is closed (GOAWAY); clients reconnect. */
  readonly idleMs?: number;
  /** How long a client may leave an answer untaken before its stream is ended. */
  readonly stuckReaderMs?: number;
  /** Faults of the proxy's own inside a call (logged; the call gets Internal, the proxy goes on). */
  readonly onFault: (e: unknown) => void;
  /** Something a client did that ended its stream or connection (logged, rate-limited). */
  readonly onClient: (what: string) => void;
}

export interface RunningServer {
  /** Stops accepting, lets in-flight calls finish within `graceMs`, then cuts the rest and removes the socket. */
  close(graceMs: number): Promise<void>;
  /** Serves calls that start from now on with `handlers` (a reload); running calls finish on the old ones. */
  swap(handlers: Handlers): void;
  /** Open connections and streams now, for metrics. */
  stats(): { connections: number; streams: number };
}

export const SERVER_DEFAULTS = { maxConnections: 256, idleMs: 5 * 60_000, stuckReaderMs: 60_000, maxConcurrentStreams: 256 } as const;

/** Starts serving on the socket; resolves once it accepts connections. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { maxConnections, idleMs, stuckReaderMs } = { ...SERVER_DEFAULTS, ...definedOnly(opts) };
  const server: Http2Server = createServer({
    maxSessionMemory: SESSION_MEMORY_MB,
    settings: { initialWindowSize: 4 * 1024 * 1024, maxConcurrentStreams: SERVER_DEFAULTS.maxConcurrentStreams },
  });
  // Connections are accepted here and handed to the HTTP/2 server: as they are (Bun's native
  // fast path), or through the AuthorityFilter when --rewrite-authority asks for it.
  const sockets = new Set<Socket>();
  const listener = createNetServer((raw) => {
    raw.on("error", () => {});
    if (sockets.size >= maxConnections) {
      opts.onClient(`a connection was refused: ${maxConnections} are open already`);
      return void raw.destroy();
    }
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    server.emit("connection", opts.rewriteAuthority ? filteredSocket(raw) : raw);
  });
  const sessions = new Map<Http2Session, { streams: number; idle?: ReturnType<typeof setTimeout> }>();
  let streams = 0;
  const idleFrom = (session: Http2Session, s: { idle?: ReturnType<typeof setTimeout> }) => {
    s.idle = setTimeout(() => session.close(), idleMs);
    s.idle.unref?.();
  };
  // One reference read per stream: a reload swaps it atomically between two calls.
  let handlers = opts.handlers;
  server.on("session", (session) => {
    const s: { streams: number; idle?: ReturnType<typeof setTimeout> } = { streams: 0 };
    sessions.set(session, s);
    idleFrom(session, s);
    session.on("error", () => {}); // garbage on the wire ends that connection only
    session.on("close", () => {
      clearTimeout(sessions.get(session)?.idle);
      sessions.delete(session);
    });
  });
  server.on("sessionError", () => {});
  server.on("stream", (stream: ServerHttp2Stream, headers) => {
    const s = sessions.get(stream.session!);
    streams++;
    if (s) {
      s.streams++;
      clearTimeout(s.idle);
    }
    stream.once("close", () => {
      streams--;
      if (s && --s.streams === 0 && !stream.session?.closed) idleFrom(stream.session!, s);
    });
    try {
      serveStream(stream, headers, { handlers, budget: opts.budget, stuckReaderMs, onFault: opts.onFault, onStuck: (path) => opts.onClient(`a client stopped reading ${path} for ${stuckReaderMs / 1000}s; its stream was ended`) });
    } catch (e) {
      opts.onFault(e);
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
  listener.on("error", opts.onFault);

  return {
    swap(next) {
      handlers = next;
    },
    stats: () => ({ connections: sockets.size, streams }),
    async close(graceMs) {
      listener.close(); // no new connections
      const drained = Promise.all([...sessions.keys()].map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.close(() => resolve()))))); // GOAWAY: in-flight streams finish
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref?.());
      await Promise.race([drained, timeout]);
      for (const s of sessions.keys()) s.destroy();
      for (const raw of sockets) raw.destroy();
      removeSocket(opts.listen);
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function removeSocket(path: string): void {
  try {
    if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone
  }
}
