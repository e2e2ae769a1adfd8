// Two HTTP/2 connections wired to each other in memory: the real protocol code on both sides,
// no sockets. Bytes cross in a later microtask, as they would cross a socket.
import { H2Connection, type ConnectionOptions } from "../../src/h2/connection.ts";

export const SMALL = {
  maxConcurrentStreams: 100,
  streamWindow: 65535,
  connectionWindow: 65535,
  maxHeaderListSize: 64 * 1024,
};

export interface Pair {
  client: H2Connection;
  server: H2Connection;
  /** Every byte each side wrote, for tests that look at the wire. */
  wire: { toServer: Buffer[]; toClient: Buffer[] };
  /** The socket between them breaks. */
  cut(): void;
}

/** A client and a server connection; `server` options add onStream and settings. */
export function h2Pair(server: Partial<ConnectionOptions> = {}, client: Partial<ConnectionOptions> = {}): Pair {
  const wire = { toServer: [] as Buffer[], toClient: [] as Buffer[] };
  let cut = false;
  let c!: H2Connection;
  let s!: H2Connection;
  const sink = (to: () => H2Connection, log: Buffer[]) => ({
    write(b: Uint8Array) {
      if (cut) return -1;
      const copy = Buffer.from(b);
      log.push(copy);
      queueMicrotask(() => !cut && to().receive(copy));
      return b.length;
    },
    end() {
      queueMicrotask(() => to().destroy());
    },
  });
  c = new H2Connection(
    sink(() => s, wire.toServer),
    { ...SMALL, ...client, server: false },
  );
  s = new H2Connection(
    sink(() => c, wire.toClient),
    { ...SMALL, ...server, server: true },
  );
  return {
    client: c,
    server: s,
    wire,
    cut() {
      cut = true;
      queueMicrotask(() => (c.destroy(), s.destroy()));
    },
  };
}

/** Lets the microtasks (bytes in flight) run. */
export const settle = () => Bun.sleep(2);
