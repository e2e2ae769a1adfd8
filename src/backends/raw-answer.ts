// A runtime's unary answer as the chunks it arrived in: passed on as they are, joined only
// when something must read the message (a named runtime's ids, a merge that decodes).
import { Code, ConnectError } from "@connectrpc/connect";
import { joinChunks, MAX_MESSAGE_BYTES, tooLarge } from "../grpc/envelope.ts";

export class RawAnswer {
  private joined: Buffer | undefined;

  /** `chunks` hold one length-prefixed message, `total` bytes in all (checked by `from`). */
  private constructor(
    /** The framed body: the 5-byte prefix and the message, as received. */
    readonly framedChunks: readonly Buffer[],
    /** The message's length, without the prefix. */
    readonly length: number,
  ) {}

  /** Checks the body holds exactly one uncompressed message; `what` names it in errors. */
  static from(chunks: Buffer[], total: number, what: string): RawAnswer {
    if (total === 0) return new RawAnswer([Buffer.from([0, 0, 0, 0, 0])], 0); // an empty body is an empty message
    const head = chunks[0].length >= 5 ? chunks[0] : joinChunks(chunks, total);
    if (head.length < 5) throw new ConnectError(`${what}: truncated gRPC message prefix`, Code.Internal);
    if (head[0] & 1) throw new ConnectError(`${what}: compressed messages are not supported`, Code.Unimplemented);
    const length = head.readUInt32BE(1);
    if (length > MAX_MESSAGE_BYTES) throw tooLarge(what, length);
    if (total !== length + 5) throw new ConnectError(`${what}: gRPC message length ${length} does not match the ${total - 5} bytes sent`, Code.Internal);
    return new RawAnswer(head === chunks[0] ? chunks : [head], length);
  }

  /** The message's bytes in one buffer (joined once, on first use). */
  message(): Buffer {
    this.joined ??= joinChunks(this.framedChunks as Buffer[], this.length + 5).subarray(5);
    return this.joined;
  }

  /** The message's bytes as chunks, without the prefix: for concatenating into a merged answer. */
  messageChunks(): Buffer[] {
    const [first, ...rest] = this.framedChunks;
    return [first.subarray(5), ...rest].filter((c) => c.length > 0);
  }
}
