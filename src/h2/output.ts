// A connection's outgoing bytes: frames queued in order, written to the socket at the end of
// the current turn (many frames, one write), the rest kept when the socket takes only part.

/** Where bytes go: returns how many it took (a Bun socket's write), negative once closed. */
export interface Sink {
  write(data: Uint8Array): number;
}

/** Buffers smaller than this are joined before writing: one system call for many frames. */
const JOIN_BELOW = 64 * 1024;

/** The outgoing queue of one connection. */
export class Output {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private blocked = false;
  private scheduled = false;
  private dead = false;

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
    return this.queued;
  }

  /** True while the queue is above its high-water mark. */
  get full(): boolean {
    return this.queued >= this.highWater;
  }

  /** Queues bytes; they are written at the end of this turn. */
  push(b: Uint8Array): void {
    if (this.dead || b.length === 0) return;
    this.queue.push(b);
    this.queued += b.length;
    if (!this.scheduled && !this.blocked) {
      this.scheduled = true;
      queueMicrotask(this.flushNow);
    }
  }

  /** The socket has room again. */
  drained(): void {
    this.blocked = false;
    this.flushNow();
  }

  /** Drops everything (the connection is gone). */
  discard(): void {
    this.dead = true;
    this.queue = [];
    this.queued = 0;
  }

  private readonly flushNow = (): void => {
    this.scheduled = false;
    const wasFull = this.full;
    while (!this.blocked && this.queue.length > 0 && !this.dead) {
      const next = this.take();
      const written = this.sink.write(next);
      if (written < 0) return this.discard();
      this.queued -= written;
      if (written < next.length) {
        this.queue.unshift(next.subarray(written));
        this.blocked = true;
      }
    }
    if (wasFull && !this.full) this.onRoom();
  };

  // The next buffer to write: small ones joined, up to JOIN_BELOW.
  private take(): Uint8Array {
    const first = this.queue.shift()!;
    if (first.length >= JOIN_BELOW || this.queue.length === 0 || first.length + this.queue[0].length > JOIN_BELOW) return first;
    const group = [first];
    let size = first.length;
    while (this.queue.length > 0 && size + this.queue[0].length <= JOIN_BELOW) {
      const b = this.queue.shift()!;
      group.push(b);
      size += b.length;
    }
    return Buffer.concat(group, size);
  }
}
