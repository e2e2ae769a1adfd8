// A connection's outgoing bytes: frames copied once into fixed-size blocks and written to the
// socket in batches (a small queue at the end of the task, a larger one at the end of the loop
// turn), a block per system call; written blocks are kept for reuse, so a busy connection
// allocates nothing and never moves bytes it has queued.

import { putFrameHeader } from "./frames.ts";

/** Where bytes go: returns how many it took (a Bun socket's write), negative once closed. */
export interface Sink {
  write(data: Uint8Array): number;
}

const BLOCK = 128 * 1024;
/** Below this a queue is written at the end of the current task, above it at the end of the loop turn. */
const SMALL = 16 * 1024;
/** Written blocks kept for reuse (the rest are let go). */
const SPARE = 8;

/** The outgoing queue of one connection. */
export class Output {
  private blocks: Buffer[] = [];
  private spare: Buffer[] = [];
  /** Where the first block's unwritten bytes start, and where the last block's bytes end. */
  private start = 0;
  private end = BLOCK;
  private queued = 0;
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

  /** Bytes queued, not yet written. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** True while the queue is above its high-water mark. */
  get full(): boolean {
    return this.queued >= this.highWater;
  }

  /** Queues bytes (copied); they are written at the end of this task or turn (schedule). */
  push(b: Uint8Array): void {
    if (this.dead || b.length === 0) return;
    this.copyIn(b, 0);
    this.schedule();
  }

  /** Queues a frame: its 9-byte header, then its payload copied after it. */
  pushFrame(type: number, flags: number, stream: number, payload: Uint8Array): void {
    if (this.dead) return;
    putFrameHeader(HEADER, 0, payload.length, type, flags, stream);
    this.copyIn(HEADER, 0);
    if (payload.length > 0) this.copyIn(payload, 0);
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
    this.blocks = [];
    this.spare = [];
    this.queued = 0;
  }

  private copyIn(b: Uint8Array, from: number): void {
    while (from < b.length) {
      if (this.end === BLOCK) {
        this.blocks.push(this.spare.pop() ?? Buffer.allocUnsafe(BLOCK));
        this.end = 0;
      }
      const n = Math.min(BLOCK - this.end, b.length - from);
      this.blocks[this.blocks.length - 1].set(from === 0 && n === b.length ? b : b.subarray(from, from + n), this.end);
      this.end += n;
      from += n;
      this.queued += n;
    }
  }

  // A small queue (a unary call's headers and answer) goes out at the end of this task: a call
  // waits no loop turn. A larger one (a list arriving frame by frame) waits for the turn's end,
  // so its frames leave in a few large writes rather than one per frame.
  private schedule(): void {
    if (this.scheduled || this.blocked) return;
    this.scheduled = true;
    if (this.queued < SMALL) queueMicrotask(this.flushNow);
    else setImmediate(this.flushNow);
  }

  private readonly flushNow = (): void => {
    this.scheduled = false;
    if (this.blocked || this.dead) return;
    const wasFull = this.full;
    while (this.blocks.length > 0) {
      const first = this.blocks[0];
      const stop = this.blocks.length === 1 ? this.end : BLOCK;
      const written = this.sink.write(first.subarray(this.start, stop));
      if (written < 0) return this.discard();
      this.start += written;
      this.queued -= written;
      if (this.start < stop) {
        this.blocked = true; // the socket took part: the rest when it drains
        break;
      }
      this.blocks.shift();
      if (this.spare.length < SPARE) this.spare.push(first);
      this.start = 0;
      if (this.blocks.length === 0) this.end = BLOCK;
    }
    if (wasFull && !this.full) this.onRoom();
    if (this.queued === 0) {
      const then = this.written;
      this.written = undefined;
      then?.();
    }
  };
}

const HEADER = Buffer.alloc(9);
