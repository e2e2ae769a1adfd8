// gRPC length-prefixed messages: a flag byte, a 4-byte big-endian length, the message.
import { Code, ConnectError } from "@connectrpc/connect";

/** kubelet's limit on one message each way (grpc-go MaxCallRecvMsgSize it sets). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** The 5-byte prefix for an uncompressed message of `length` bytes. */
export function envelopeHeader(length: number): Buffer {
  const head = Buffer.allocUnsafe(5);
  head[0] = 0;
  head.writeUInt32BE(length, 1);
  return head;
}

/** One message with its prefix, in one buffer. */
export function framedMessage(message: Uint8Array): Buffer {
  return Buffer.concat([envelopeHeader(message.length), message]);
}

/** Joins chunks into one buffer without copying when there is only one. */
export function joinChunks(chunks: Buffer[], total: number): Buffer {
  if (chunks.length === 1) return chunks[0];
  return Buffer.concat(chunks, total);
}

/**
 * The single message of a unary request or answer body. An empty body is an
 * empty message (grpc-go never sends one, but a hand-made client may).
 */
export function unwrapUnary(body: Buffer, what: string): Buffer {
  if (body.length === 0) return body;
  if (body.length < 5) throw new ConnectError(`${what}: truncated gRPC message prefix (${body.length} bytes)`, Code.InvalidArgument);
  if (body[0] & 1) throw new ConnectError(`${what}: compressed messages are not supported`, Code.Unimplemented);
  const length = body.readUInt32BE(1);
  if (length > MAX_MESSAGE_BYTES) throw tooLarge(what, length);
  if (body.length !== 5 + length) {
    throw new ConnectError(`${what}: gRPC message length ${length} does not match the ${body.length - 5} bytes sent`, Code.InvalidArgument);
  }
  return body.subarray(5);
}

/** The error for a message over kubelet's 16 MiB limit. */
export function tooLarge(what: string, length: number): ConnectError {
  return new ConnectError(`${what}: message of ${length} bytes is larger than the ${MAX_MESSAGE_BYTES} byte limit`, Code.ResourceExhausted);
}

/**
 * Splits a byte stream into messages as its chunks arrive (server-streaming answers), in
 * linear time: chunks wait in a queue until a message is whole, and each byte is copied at
 * most once (none when a message lies in one chunk). Re-joining the pending chunks on every
 * push, as this did before, made one 16 MiB message cost seconds of event loop.
 */
export class EnvelopeReader {
  private readonly pending: Buffer[] = [];
  /** Chunks before this index are used up (the queue is compacted when it passes half). */
  private first = 0;
  /** Bytes of the first pending chunk already taken. */
  private offset = 0;
  private pendingBytes = 0;
  /** The current message's length, once its prefix has arrived. */
  private length: number | undefined;

  constructor(private readonly what: string) {}

  /** Adds a chunk and returns every message it completes. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const out: Buffer[] = [];
    for (;;) {
      if (this.length === undefined) {
        if (this.pendingBytes < 5) break;
        const prefix = this.take(5);
        if (prefix[0] & 1) throw new ConnectError(`${this.what}: compressed messages are not supported`, Code.Unimplemented);
        const length = prefix.readUInt32BE(1);
        if (length > MAX_MESSAGE_BYTES) throw tooLarge(this.what, length);
        this.length = length;
      }
      if (this.pendingBytes < this.length) break;
      out.push(this.take(this.length));
      this.length = undefined;
    }
    return out;
  }

  /** True when a message was cut off mid-way. */
  get incomplete(): boolean {
    return this.length !== undefined || this.pendingBytes > 0;
  }

  /** The next `n` queued bytes (n <= pendingBytes): a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    const head = this.pending[this.first];
    if (n === 0) return Buffer.alloc(0);
    let out: Buffer;
    if (head.length - this.offset >= n) {
      out = head.subarray(this.offset, this.offset + n);
      this.offset += n;
    } else {
      out = Buffer.allocUnsafe(n);
      for (let at = 0; at < n; ) {
        const c = this.pending[this.first];
        const part = Math.min(c.length - this.offset, n - at);
        c.copy(out, at, this.offset, this.offset + part);
        at += part;
        this.offset += part;
        if (this.offset === c.length) this.drop();
      }
    }
    if (this.offset === head.length && this.pending[this.first] === head) this.drop();
    this.pendingBytes -= n;
    return out;
  }

  private drop(): void {
    this.pending[this.first++] = EMPTY;
    this.offset = 0;
    if (this.first === this.pending.length) {
      this.pending.length = 0;
      this.first = 0;
    } else if (this.first > 64 && this.first * 2 > this.pending.length) {
      this.pending.splice(0, this.first);
      this.first = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);
