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

/** Splits a byte stream into messages as its chunks arrive (server-streaming answers). */
export class EnvelopeReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly what: string) {}

  /** Adds a chunk and returns every message it completes. */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const out: Buffer[] = [];
    while (this.pendingBytes >= 5) {
      const buf = this.pending.length === 1 ? this.pending[0] : joinChunks(this.pending, this.pendingBytes);
      this.pending = [buf];
      if (buf[0] & 1) throw new ConnectError(`${this.what}: compressed messages are not supported`, Code.Unimplemented);
      const length = buf.readUInt32BE(1);
      if (length > MAX_MESSAGE_BYTES) throw tooLarge(this.what, length);
      if (buf.length < 5 + length) break;
      out.push(buf.subarray(5, 5 + length));
      const rest = buf.subarray(5 + length);
      this.pending = rest.length ? [rest] : [];
      this.pendingBytes = rest.length;
    }
    return out;
  }

  /** True when a message was cut off mid-way. */
  get incomplete(): boolean {
    return this.pendingBytes > 0;
  }
}
