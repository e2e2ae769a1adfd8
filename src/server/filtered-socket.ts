// A client connection as the HTTP/2 server sees it: what the client sends passes through the
// AuthorityFilter; what the server sends goes straight to the socket, except that right after
// the server's first SETTINGS frame one more SETTINGS asks the client for a zero-size HPACK
// dynamic table (the filter drops the client's ACK of it: the server never sent it).
import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { AuthorityFilter } from "./authority-filter.ts";

/** SETTINGS (type 4, stream 0) with SETTINGS_HEADER_TABLE_SIZE (0x1) = 0. */
const ZERO_TABLE_SETTINGS = Buffer.from([0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);

/** Wraps an accepted socket for `http2Server.emit("connection", ...)`. */
export function filteredSocket(raw: Socket): Duplex {
  // The client ACKs the server's first SETTINGS, then ours: the second ACK is ours.
  const filter = new AuthorityFilter(2);
  let head: Buffer | undefined = Buffer.alloc(0); // outbound bytes until the first frame is whole
  const wrapped = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      if (head === undefined) return send(chunk, done);
      head = Buffer.concat([head, chunk]);
      if (head.length < 9 || head.length < 9 + head.readUIntBE(0, 3)) return done();
      const first = 9 + head.readUIntBE(0, 3);
      const isSettings = head[3] === 0x4 && !(head[4] & 0x1);
      const out = isSettings ? Buffer.concat([head.subarray(0, first), ZERO_TABLE_SETTINGS, head.subarray(first)]) : head;
      head = undefined;
      send(out, done);
    },
    writev(chunks, done) {
      if (head !== undefined) return done(new Error("unreachable: writev before the first frame"));
      raw.cork();
      for (const { chunk } of chunks) raw.write(chunk);
      raw.uncork();
      wait(done);
    },
    final(done) {
      raw.end();
      done();
    },
    destroy(error, done) {
      raw.destroy(error ?? undefined);
      done(error);
    },
  });
  // Acknowledge a write at once unless the socket's buffer is full: waiting for each flush
  // would add a round of callbacks to every frame of a large answer.
  const wait = (done: (e?: Error | null) => void) => (raw.writableNeedDrain ? raw.once("drain", () => done()) : done());
  const send = (b: Buffer, done: (e?: Error | null) => void) => {
    raw.write(b);
    wait(done);
  };
  raw.on("data", (chunk: Buffer) => {
    for (const b of filter.push(chunk)) if (!wrapped.push(b)) raw.pause();
  });
  raw.on("end", () => wrapped.push(null));
  raw.on("error", (e) => wrapped.destroy(e));
  raw.on("close", () => wrapped.destroy());
  return wrapped;
}
