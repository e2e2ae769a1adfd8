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
  if (body.length < 5)
    throw new ConnectError(`${what}: truncated gRPC message prefix (${body.length} bytes)`, Code.InvalidArgument);
  if (body[0] & 1) throw new ConnectError(`${what}: compressed messages are not supported`, Code.Unimplemented);
  const length = body.readUInt32BE(1);
  if (length > MAX_MESSAGE_BYTES) throw tooLarge(what, length);
  if (body.length !== 5 + length) {
    throw new ConnectError(
      `${what}: gRPC message length ${length} does not match the ${body.length - 5} bytes sent`,
      Code.InvalidArgument,
    );
  }
  return body.subarray(5);
}

/** The error for a message over kubelet's 16 MiB limit. */
export function tooLarge(what: string, length: number): ConnectError {
  return new ConnectError(
    `${what}: message of ${length} bytes is larger than the ${MAX_MESSAGE_BYTES} byte limit`,
    Code.ResourceExhausted,
  );
}

/**
 * Splits a byte stream into messages as they arrive (server-streaming answers), in linear time:
 * each byte is copied at most once (not at all when a message lies in one chunk). A message
 * longer than what has arrived gets its buffer at once and each chunk is copied in as it comes,
 * so a 16 MiB message costs no single long pause (its pages are touched a chunk at a time).
 * Re-joining the pending chunks on every push, as this did before, cost seconds of event loop.
 */
export class EnvelopeReader {
  /** Bytes not yet part of a message: at most a prefix and what follows it in the same chunk. */
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The current message's length, once its prefix has arrived. */
  private length: number | undefined;
  /** The current message's buffer while it fills, and how much of it has. */
  private partial: Buffer | undefined;
  private filled = 0;

  constructor(private readonly what: string) {}

  /** Adds a chunk and returns every message it completes. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (this.partial) {
      const n = Math.min(chunk.length, this.partial.length - this.filled);
      chunk.copy(this.partial, this.filled, 0, n);
      this.filled += n;
      if (this.filled < this.partial.length) return out;
      out.push(this.partial);
      this.partial = undefined;
      this.length = undefined;
      chunk = chunk.subarray(n);
    }
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    for (;;) {
      if (this.length === undefined) {
        if (this.pendingBytes < 5) break;
        const prefix = this.take(5);
        if (prefix[0] & 1)
          throw new ConnectError(`${this.what}: compressed messages are not supported`, Code.Unimplemented);
        const length = prefix.readUInt32BE(1);
        if (length > MAX_MESSAGE_BYTES) throw tooLarge(this.what, length);
        this.length = length;
      }
      if (this.pendingBytes < this.length) {
        // The rest is still to come: later chunks are copied straight into the message.
        this.filled = this.pendingBytes;
        this.partial = Buffer.allocUnsafe(this.length);
        this.take(this.pendingBytes).copy(this.partial);
        break;
      }
      out.push(this.take(this.length));
      this.length = undefined;
    }
    return out;
  }

  /** True when a message was cut off mid-way. */
  get incomplete(): boolean {
    return this.length !== undefined || this.pendingBytes > 0;
  }

  /** The next `n` pending bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    let out: Buffer;
    if (this.pending[0].length >= n) {
      out = this.pending[0].subarray(0, n);
      if (out.length === this.pending[0].length) this.pending.shift();
      else this.pending[0] = this.pending[0].subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      for (let at = 0; at < n; ) {
        const c = this.pending[0];
        const part = Math.min(c.length, n - at);
        c.copy(out, at, 0, part);
        at += part;
        if (part === c.length) this.pending.shift();
        else this.pending[0] = c.subarray(part);
      }
    }
    this.pendingBytes -= n;
    return out;
  }
}

const EMPTY = Buffer.alloc(0);
