// The receiving half of a connection: bytes to frames (after the client preface on the server
// side), frame sizes checked, header blocks gathered across CONTINUATION frames within a
// bound and decoded in order (HPACK state is the connection's), then handed on.
import { CLIENT_PREFACE, ConnectionError, DEFAULT_MAX_FRAME, ErrorCode, F, FRAME_HEADER, T } from "./frames.ts";
import { HpackDecoder, type HeaderList } from "./hpack.ts";

/** What a connection does with each frame (header blocks arrive whole and decoded). */
export interface FrameHandler {
  data(flags: number, id: number, payload: Buffer): void;
  /** `selfDependent`: its PRIORITY fields name the stream itself (a stream error, §5.3.1). */
  headerBlock(id: number, endStream: boolean, headers: HeaderList, tooLarge: boolean, selfDependent: boolean): void;
  /** Any other frame: RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, PUSH_PROMISE, PRIORITY, unknown. */
  control(type: number, flags: number, id: number, payload: Buffer): void;
  /** A frame that costs work and carries nothing (the connection's calm budget). */
  spend(what: string): void;
}

/** What a header block may weigh on the wire, across CONTINUATION frames. */
const MAX_HEADER_BLOCK = 256 * 1024;
/** Frames a header block may span: 256 KiB is 16 full frames; more is a CONTINUATION flood (CVE-2024-27316). */
const MAX_BLOCK_FRAMES = 32;

/** Turns a connection's incoming bytes into frames. */
export class Receiver {
  private input: Buffer | undefined;
  private prefaceLeft: number;
  private block:
    | { stream: number; flags: number; parts: Uint8Array[]; size: number; selfDependent: boolean }
    | undefined;
  private readonly decoder: HpackDecoder;

  constructor(
    server: boolean,
    maxHeaderListSize: number,
    private readonly handler: FrameHandler,
  ) {
    this.prefaceLeft = server ? CLIENT_PREFACE.length : 0;
    this.decoder = new HpackDecoder(4096, maxHeaderListSize);
  }

  /** Feeds bytes; throws ConnectionError (or HpackError) when the peer broke the protocol. `stopped` ends the loop early. */
  receive(chunk: Uint8Array, stopped: () => boolean): void {
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, data.length);
      const at = CLIENT_PREFACE.length - this.prefaceLeft;
      if (!data.subarray(0, n).equals(CLIENT_PREFACE.subarray(at, at + n)))
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "not an HTTP/2 client preface");
      this.prefaceLeft -= n;
      data = data.subarray(n);
    }
    // A frame began in an earlier read: complete just that frame, then go on in this read's own
    // buffer (no copy of the whole read per partial frame).
    while (this.input) {
      const held = this.input;
      if (held.length < FRAME_HEADER) {
        const n = Math.min(FRAME_HEADER - held.length, data.length);
        this.input = Buffer.concat([held, data.subarray(0, n)]);
        data = data.subarray(n);
        if (this.input.length < FRAME_HEADER) return;
        continue;
      }
      const length = (held[0] << 16) | (held[1] << 8) | held[2];
      if (length > DEFAULT_MAX_FRAME)
        throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `a frame of ${length} bytes`);
      const want = FRAME_HEADER + length - held.length;
      if (data.length < want) {
        this.input = Buffer.concat([held, data]);
        return;
      }
      this.input = undefined;
      this.frames(Buffer.concat([held, data.subarray(0, want)]), stopped); // exactly that frame
      data = data.subarray(want);
    }
    this.frames(data, stopped);
  }

  // Every whole frame in `data`; a partial one at the end is kept (copied: it is at most one frame).
  private frames(data: Buffer, stopped: () => boolean): void {
    let at = 0;
    while (data.length - at >= FRAME_HEADER && !stopped()) {
      const length = (data[at] << 16) | (data[at + 1] << 8) | data[at + 2];
      if (length > DEFAULT_MAX_FRAME)
        throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `a frame of ${length} bytes`);
      if (data.length - at < FRAME_HEADER + length) break;
      const type = data[at + 3];
      const flags = data[at + 4];
      const id = data.readUInt32BE(at + 5) & 0x7fffffff;
      const payload = data.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
      at += FRAME_HEADER + length;
      this.frame(type, flags, id, payload);
    }
    if (at < data.length && !stopped()) this.input = Buffer.from(data.subarray(at));
  }

  private frame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.block && (type !== T.CONTINUATION || id !== this.block.stream))
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "a header block was interrupted");
    if (type === T.DATA) {
      if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
      return this.handler.data(flags, id, payload);
    }
    if (type === T.HEADERS) {
      if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
      let fragment = unpad(payload, flags);
      let selfDependent = false;
      if (flags & F.PRIORITY) {
        if (fragment.length < 5)
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "HEADERS too short for its priority fields");
        selfDependent = (fragment.readUInt32BE(0) & 0x7fffffff) === id;
        fragment = fragment.subarray(5);
      }
      this.block = { stream: id, flags, parts: [], size: 0, selfDependent };
      return this.fragment(fragment, flags);
    }
    if (type === T.CONTINUATION) {
      if (!this.block) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
      if (this.block.parts.length >= MAX_BLOCK_FRAMES)
        throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `a header block in over ${MAX_BLOCK_FRAMES} frames`);
      if (payload.length === 0 && !(flags & F.END_HEADERS)) this.handler.spend("empty CONTINUATION frames");
      return this.fragment(payload, flags);
    }
    this.handler.control(type, flags, id, payload);
  }

  private fragment(part: Uint8Array, flags: number): void {
    const block = this.block!;
    block.size += part.length;
    if (block.size > MAX_HEADER_BLOCK)
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `a header block over ${MAX_HEADER_BLOCK} bytes`);
    block.parts.push(part);
    if (!(flags & F.END_HEADERS)) return;
    this.block = undefined;
    const { headers, tooLarge } = this.decoder.decode(
      block.parts.length === 1 ? block.parts[0] : Buffer.concat(block.parts),
    );
    this.handler.headerBlock(block.stream, (block.flags & F.END_STREAM) !== 0, headers, tooLarge, block.selfDependent);
  }
}

/** A DATA or HEADERS payload without its padding. */
export function unpad(payload: Buffer, flags: number): Buffer {
  if (!(flags & F.PADDED)) return payload;
  const pad = payload[0];
  if (pad >= payload.length) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "padding longer than the frame");
  return payload.subarray(1, payload.length - pad);
}
