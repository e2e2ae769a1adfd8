// A runtime's unary answer as the chunks it arrives in. It is handed on from its first chunk,
// so kubelet receives a list while the runtime is still sending it; it is joined only when
// something must read the message (a named runtime's ids, a merge that decodes).
import { Code, ConnectError } from "@connectrpc/connect";
import type { Ledger } from "./byte-budget.ts";
import { joinChunks, MAX_MESSAGE_BYTES, tooLarge } from "./envelope.ts";

const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);
const GONE = Buffer.alloc(0);
/** Bytes arrived but not yet taken by the reader past which the runtime is held back (flow control), and below which it may go on. */
const PRESSURE_HIGH = 256 * 1024;
const PRESSURE_LOW = 64 * 1024;

/** Where the bytes come from: held back while the reader (kubelet) is behind. */
export interface Source {
  pause(): void;
  resume(): void;
}

export class RawAnswer {
  /** The framed body received so far: the 5-byte prefix and the message, as sent. */
  private readonly chunks: Buffer[] = [];
  private received = 0;
  /** The body's whole length, once its prefix has arrived. */
  private expected: number | undefined;
  /** The bytes before the prefix was whole (kept apart: a streaming reader may let the chunks go). */
  private head: Buffer | undefined;
  private state: "open" | "ok" | ConnectError = "open";
  // Every waiter awaits the same promise; each change settles it and makes a new one.
  private changed = Promise.withResolvers<void>();
  private joined: Buffer | undefined;
  /** Bytes a streaming reader has taken; the rest is held here. */
  private taken = 0;
  private source: Source | undefined;
  private held = false;
  /** Someone reads the whole message: the source must never be held back then. */
  private whole = false;
  /** Chunks stay after a streaming reader took them (someone will read the whole answer afterwards). */
  private retained = false;

  /** `what` names the answer in errors ("answer of runtime vm to /runtime.v1..."); `ledger` holds its bytes. */
  constructor(
    private readonly what: string,
    private readonly ledger?: Ledger,
  ) {}

  /**
   * Adds a chunk as it arrives. Throws, before the chunk is passed on: ResourceExhausted when
   * the prefix announces more than kubelet's 16 MiB or the proxy's byte budget is spent;
   * Internal when more bytes come than the one message a unary answer holds.
   */
  push(chunk: Buffer): void {
    const before = this.received;
    this.received += chunk.length;
    if (before < 5) {
      this.head = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      if (this.received >= 5) this.expected = 5 + this.prefixLength(this.head);
    }
    if (this.expected !== undefined && this.received > this.expected)
      throw this.invalid(
        `more than the one message a unary answer holds (${this.received - 5} bytes after a prefix of ${this.expected - 5})`,
      );
    this.ledger?.take(chunk.length, this.what);
    this.chunks.push(chunk);
    // A kubelet that reads slowly (or not at all) holds the runtime back instead of this buffer growing.
    if (!this.whole && !this.held && this.source && this.received - this.taken > PRESSURE_HIGH) {
      this.held = true;
      this.source.pause();
    }
    this.notify();
  }

  /** Keeps every chunk after a streaming reader took it (call logs that show the answer); else taken chunks are let go. */
  retain(): void {
    this.retained = true;
  }

  /** The stream the answer arrives on, held back while its reader is behind. */
  attach(source: Source): void {
    this.source = source;
  }

  /** The runtime ended the answer: OK (checked to hold its whole message), or with a status error after some data. */
  end(error?: ConnectError): void {
    if (this.state !== "open") return;
    // OK trailers after a cut message would hand kubelet a short answer as if it were whole.
    if (error === undefined && this.received > 0 && this.received !== this.expected)
      error = this.invalid(
        `the runtime ended its answer mid-message (${this.received} of ${this.expected ?? "at least 5"} bytes)`,
      );
    this.state = error ?? "ok";
    this.notify();
  }

  /** The framed body when the answer has ended well (the usual case for a small answer), else undefined. */
  settled(): readonly Buffer[] | undefined {
    if (this.state !== "ok") return undefined;
    return this.received === 0 ? [EMPTY_MESSAGE] : this.chunks;
  }

  /** The framed chunks, as they arrive; throws the runtime's error if it ends with one. */
  async *framedChunks(): AsyncGenerator<Buffer> {
    let i = 0;
    for (;;) {
      while (i < this.chunks.length) {
        const chunk = this.chunks[i++];
        yield chunk;
        this.taken += chunk.length;
        // Passed on: let it go (memory per call stays at what is in flight, not the whole answer).
        if (!this.retained && !this.whole) {
          this.chunks[i - 1] = GONE;
          this.ledger?.give(chunk.length);
        }
        if (this.held && this.received - this.taken < PRESSURE_LOW) this.release();
      }
      if (this.state === "ok") {
        if (this.received === 0) yield EMPTY_MESSAGE; // an empty body is an empty message
        return;
      }
      if (this.state !== "open") throw this.state;
      await this.changed.promise;
    }
  }

  /** Resolves once the answer has ended well; rejects with the runtime's error. */
  async ended(): Promise<void> {
    while (this.state === "open") await this.changed.promise;
    if (this.state !== "ok") throw this.state;
  }

  /** The message's chunks without the prefix, as they arrive. */
  async *messageChunks(): AsyncGenerator<Buffer> {
    let skip = 5;
    for await (const chunk of this.framedChunks()) {
      const rest = skip > 0 ? chunk.subarray(Math.min(skip, chunk.length)) : chunk;
      skip = Math.max(0, skip - chunk.length);
      if (rest.length > 0) yield rest;
    }
  }

  /** The message's length, from its prefix (waits for the first 5 bytes). */
  async messageLength(): Promise<number> {
    while (this.received < 5 && this.state === "open") await this.changed.promise;
    if (this.received === 0 && this.state === "ok") return 0;
    if (this.received < 5)
      throw this.state === "open" || this.state === "ok" ? this.invalid("truncated gRPC message prefix") : this.state;
    return this.expected! - 5; // read from the prefix when it arrived (push)
  }

  /** The whole message in one buffer, checked (waits for the end; joined once). */
  async message(): Promise<Buffer> {
    if (this.joined) return this.joined;
    if (this.taken > 0 && !this.retained)
      throw this.invalid("its bytes were passed on already (call retain() before reading it as a stream)");
    this.whole = true;
    if (this.held) this.release();
    for await (const _ of this.framedChunks()); // wait for the end, or its error
    // Ended well, so checked already: a prefix (push) and exactly its message (push, end).
    this.joined = this.received === 0 ? Buffer.alloc(0) : joinChunks(this.chunks, this.received).subarray(5);
    return this.joined;
  }

  // The message's length from the first bytes of the body (at least 5).
  private prefixLength(head: Buffer): number {
    this.head = undefined;
    if (head[0] & 1) throw new ConnectError(`${this.what}: compressed messages are not supported`, Code.Unimplemented);
    const length = head.readUInt32BE(1);
    if (length > MAX_MESSAGE_BYTES) throw tooLarge(this.what, length);
    return length;
  }

  private release(): void {
    this.held = false;
    this.source?.resume();
  }

  private invalid(why: string): ConnectError {
    return new ConnectError(`${this.what}: ${why}`, Code.Internal);
  }

  private notify(): void {
    const done = this.changed;
    this.changed = Promise.withResolvers<void>();
    done.resolve();
  }
}
