// A connection's outgoing bytes: frames copied once into one contiguous buffer and written to
// the socket once per turn of the event loop (after every read of this turn has been handled),
// so a 900 kB answer leaves in a handful of system calls; what the socket does not take stays.

/** Where bytes go: returns how many it took (a Bun socket's write), negative once closed. */
export interface Sink {
  write(data: Uint8Array): number;
}

const INITIAL = 64 * 1024;

/** The outgoing queue of one connection. */
export class Output {
  private buf = Buffer.allocUnsafe(INITIAL);
  private start = 0;
  private end = 0;
  private blocked = false;
  private scheduled = false;
  private dead = false;
  private written: (() => void) | undefined;

  /**
   * `onRoom` is called after a flush that brought the queue below `highWater` (DATA framing
   * stops above it, so a peer that does not read holds at most about that much here).
   */
  constructor(
    private readonly sink: Sink,
    private readonly onRoom: () => void,
    readonly highWater = 1024 * 1024,
  ) {}

  /** Bytes waiting for the socket. */
  get pending(): number {
    return this.end - this.start;
  }

  /** True while the queue is above its high-water mark. */
  get full(): boolean {
    return this.end - this.start >= this.highWater;
  }

  /** Queues bytes (copied); they are written at the end of this turn. */
  push(b: Uint8Array): void {
    if (this.dead || b.length === 0) return;
    this.room(b.length);
    this.buf.set(b, this.end);
    this.end += b.length;
    this.schedule();
  }

  /** Queues a frame, its 9-byte header written in place and its payload copied after it. */
  pushFrame(type: number, flags: number, stream: number, payload: Uint8Array): void {
    if (this.dead) return;
    const length = payload.length;
    this.room(9 + length);
    const b = this.buf;
    const at = this.end;
    b[at] = length >>> 16;
    b[at + 1] = (length >>> 8) & 0xff;
    b[at + 2] = length & 0xff;
    b[at + 3] = type;
    b[at + 4] = flags;
    b.writeUInt32BE(stream, at + 5);
    b.set(payload, at + 9);
    this.end += 9 + length;
    this.schedule();
  }

  /** The socket has room again. */
  drained(): void {
    this.blocked = false;
    this.flushNow();
  }

  /** Writes what is queued now, not at the end of the turn (before the connection closes). */
  flush(): void {
    this.flushNow();
  }

  /** Calls `then` once everything queued has been written (at once if nothing is). */
  whenWritten(then: () => void): void {
    this.written = then;
    this.flushNow();
  }

  /** Drops everything (the connection is gone). */
  discard(): void {
    this.dead = true;
    this.start = this.end = 0;
    this.buf = Buffer.allocUnsafe(0);
  }

  private schedule(): void {
    if (this.scheduled || this.blocked) return;
    this.scheduled = true;
    setImmediate(this.flushNow);
  }

  // Makes room for `n` more bytes: moves what is pending to the front, or grows.
  private room(n: number): void {
    if (this.end + n <= this.buf.length) return;
    const pending = this.end - this.start;
    // Move the pending bytes to the front only when that frees at least as much as it copies.
    if (pending + n <= this.buf.length && this.start >= pending) {
      this.buf.copy(this.buf, 0, this.start, this.end);
    } else {
      let size = this.buf.length * 2;
      while (size < pending + n) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
    }
    this.start = 0;
    this.end = pending;
  }

  private readonly flushNow = (): void => {
    this.scheduled = false;
    if (this.blocked || this.dead) return;
    if (this.start === this.end) return this.wroteAll();
    const wasFull = this.full;
    const written = this.sink.write(this.buf.subarray(this.start, this.end));
    if (written < 0) return this.discard();
    this.start += written;
    if (this.start === this.end) {
      this.start = this.end = 0;
      // A burst (a 16 MiB answer) grew the buffer: give the memory back once it is written.
      if (this.buf.length > 4 * INITIAL) this.buf = Buffer.allocUnsafe(INITIAL);
    } else {
      this.blocked = true;
    }
    if (wasFull && !this.full) this.onRoom();
    if (this.start === this.end) this.wroteAll();
  };

  private wroteAll(): void {
    const then = this.written;
    this.written = undefined;
    then?.();
  }
}
