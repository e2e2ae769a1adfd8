// The CRI endpoint: HTTP/2 (src/h2) on a Unix socket, as kubelet's grpc-go dials it. Every
// :authority is served (it is never read). Connections are bounded in number and closed when
// idle; streams in number per connection; header lists in size.
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import type { ByteBudget } from "../grpc/byte-budget.ts";
import type { Handlers } from "../grpc/call.ts";
import type { H2Connection } from "../h2/connection.ts";
import { listenH2, type H2Listener } from "../h2/endpoint.ts";
import { ErrorCode } from "../h2/frames.ts";
import { connectionHandlers, idlest, type ConnectionContext } from "./client-connection.ts";
import { serveStream } from "./serve-stream.ts";
import { bindPrivately, claimSocketPath } from "./socket.ts";

export interface ServerOptions {
  readonly listen: string;
  readonly handlers: Handlers;
  readonly budget: ByteBudget;
  /** Group for the socket (`--socket-group`), as a gid. */
  readonly gid?: number;
  /** Open connections at most (kubelet holds one or two); at the limit a new one is admitted and the idlest closed, or it is refused when none is idle. */
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

export const SERVER_DEFAULTS = { maxConnections: 256, idleMs: 5 * 60_000, stuckReaderMs: 60_000 } as const;

/** HTTP/2 settings towards clients: kubelet's requests are small; 16 MiB ones still pass, window by window. */
const H2_SETTINGS = {
  maxConcurrentStreams: 256,
  streamWindow: 1024 * 1024,
  connectionWindow: 16 * 1024 * 1024,
  maxHeaderListSize: 64 * 1024,
};

/** Starts serving on the socket; resolves once it accepts connections. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { maxConnections, idleMs, stuckReaderMs } = { ...SERVER_DEFAULTS, ...definedOnly(opts) };
  const open = new Set<H2Connection>();
  const idle = new Map<H2Connection, boolean>();
  const counts = { connections: 0, streams: 0 };
  // One reference read per stream: a reload swaps it atomically between two calls.
  let handlers = opts.handlers;
  const onStuck = (path: string) =>
    opts.onClient(`a client stopped reading ${path} for ${stuckReaderMs / 1000}s; its stream was ended`);
  const ctx: ConnectionContext = {
    open,
    idle,
    counts,
    idleMs,
    onClient: opts.onClient,
    serve(stream, headers, onRefused) {
      try {
        serveStream(stream, headers, {
          handlers,
          budget: opts.budget,
          stuckReaderMs,
          onFault: opts.onFault,
          onStuck,
          onRefused,
        });
      } catch (e) {
        opts.onFault(e);
        stream.reset(ErrorCode.INTERNAL_ERROR);
      }
    },
  };
  let listener: H2Listener | undefined;
  await claimSocketPath(opts.listen);
  await bindPrivately(
    opts.listen,
    async (at) => {
      listener = listenH2(at, {
        ...H2_SETTINGS,
        accept() {
          if (open.size < maxConnections) return connectionHandlers(ctx);
          // Idle connections never lock a client out: the idlest makes room (it gets GOAWAY; a client reconnects).
          const shed = idlest(idle);
          if (shed) {
            idle.delete(shed);
            shed.shutdown();
            opts.onClient(`${maxConnections} connections are open: an idle one was closed to admit a new one`);
            return connectionHandlers(ctx);
          }
          opts.onClient(`a connection was refused: ${maxConnections} are open already, each with a call in progress`);
          return undefined;
        },
      });
    },
    opts.gid,
  );

  return {
    swap(next) {
      handlers = next;
    },
    stats: () => ({ ...counts }),
    async close(graceMs) {
      listener?.stop(); // no new connections
      for (const c of open) c.goaway(); // in-flight streams finish
      const deadline = Date.now() + graceMs;
      while (open.size > 0 && Date.now() < deadline) await Bun.sleep(Math.min(20, deadline - Date.now()));
      for (const c of [...open]) c.destroy();
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
