// One client's connection, as the server tracks it: its streams (counted, for metrics and the
// idle timer), whether it is idle (the connection limit sheds the idlest), the first refusal on
// it (logged once, with the client's user-agent), and a connection that ends in a protocol
// error or a flood (logged once, with the user-agent).
import type { H2Connection } from "../h2/connection.ts";
import type { ConnectionHandlers } from "../h2/endpoint.ts";
import type { HeaderList } from "../h2/hpack.ts";
import type { H2Stream } from "../h2/stream.ts";

export interface ConnectionContext {
  /** Serves one stream (serve-stream.ts), told where to report a refusal. */
  serve(stream: H2Stream, headers: HeaderList, refused: (reason: string) => void): void;
  /** Counts of open connections and streams, kept here. */
  readonly counts: { connections: number; streams: number };
  readonly open: Set<H2Connection>;
  /** Connections with no open stream, longest idle first; `true` for one that never carried a stream. */
  readonly idle: Map<H2Connection, boolean>;
  /** A connection with no stream for this long is sent GOAWAY. */
  readonly idleMs: number;
  /** What a client did that the operator should know of (logged at -v 0, rate-limited). */
  readonly onClient: (what: string) => void;
}

/** The handlers of one accepted connection. */
export function connectionHandlers(ctx: ConnectionContext): ConnectionHandlers {
  let conn: H2Connection;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let userAgent: string | undefined;
  let refusalLogged = false;
  const idleFrom = (silent = false) => {
    ctx.idle.delete(conn);
    ctx.idle.set(conn, silent);
    clearTimeout(idle);
    idle = setTimeout(() => conn.goaway(), ctx.idleMs);
    idle.unref?.();
  };
  const refused = (reason: string, headers?: HeaderList) => {
    userAgent ??= headers?.find(([n]) => n === "user-agent")?.[1];
    if (refusalLogged) return;
    refusalLogged = true;
    ctx.onClient(
      `a client's stream was refused: ${reason} (user-agent ${JSON.stringify(userAgent ?? "")}); further refusals on this connection are not logged`,
    );
  };
  return {
    attached(c) {
      conn = c;
      ctx.open.add(c);
      ctx.counts.connections++;
      idleFrom(true);
    },
    onStream(stream, headers) {
      userAgent ??= headers.find(([n]) => n === "user-agent")?.[1];
      ctx.counts.streams++;
      ctx.idle.delete(conn);
      clearTimeout(idle);
      ctx.serve(stream, headers, refused);
      const served = stream.onClose;
      stream.onClose = (code, cause) => {
        ctx.counts.streams--;
        if (conn.active === 0 && !conn.closed) idleFrom();
        served(code, cause);
      };
    },
    onRefused: refused,
    onClose(reason) {
      clearTimeout(idle);
      ctx.idle.delete(conn);
      ctx.open.delete(conn);
      ctx.counts.connections--;
      if (reason) ctx.onClient(`a client connection ended: ${reason} (user-agent ${JSON.stringify(userAgent ?? "")})`);
    },
  };
}

/** The connection to close so a new one can be admitted at the limit: one that never carried a stream, else the longest idle. */
export function idlest(idle: ReadonlyMap<H2Connection, boolean>): H2Connection | undefined {
  let longest: H2Connection | undefined;
  for (const [conn, silent] of idle) {
    if (conn.closed || conn.goawaySent) continue;
    if (silent) return conn;
    longest ??= conn;
  }
  return longest;
}
