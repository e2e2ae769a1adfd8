// HTTP/2 frames (RFC 9113, section 6): types, flags, error codes, settings, and the few
// frames a connection writes of its own.

export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const FRAME_HEADER = 9;
/** The largest frame either side may send before SETTINGS_MAX_FRAME_SIZE raises it; what we accept. */
export const DEFAULT_MAX_FRAME = 16384;
/** Flow-control windows before SETTINGS or WINDOW_UPDATE change them. */
export const DEFAULT_WINDOW = 65535;
export const MAX_WINDOW = 2 ** 31 - 1;

export const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;

export const F = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** RST_STREAM and GOAWAY error codes (RFC 9113, section 7). */
export const ErrorCode = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  SETTINGS_TIMEOUT: 4,
  STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
  CONNECT_ERROR: 10,
  ENHANCE_YOUR_CALM: 11,
  INADEQUATE_SECURITY: 12,
  HTTP_1_1_REQUIRED: 13,
} as const;

export const S = {
  HEADER_TABLE_SIZE: 1,
  ENABLE_PUSH: 2,
  MAX_CONCURRENT_STREAMS: 3,
  INITIAL_WINDOW_SIZE: 4,
  MAX_FRAME_SIZE: 5,
  MAX_HEADER_LIST_SIZE: 6,
} as const;

/** A connection error: the connection ends with GOAWAY(code). */
export class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Writes a 9-byte frame header into `b` at `at`. */
export function putFrameHeader(
  b: Buffer,
  at: number,
  length: number,
  type: number,
  flags: number,
  stream: number,
): void {
  b[at] = length >>> 16;
  b[at + 1] = (length >>> 8) & 0xff;
  b[at + 2] = length & 0xff;
  b[at + 3] = type;
  b[at + 4] = flags;
  b.writeUInt32BE(stream, at + 5);
}

/** A whole frame in one buffer (small frames). */
export function frame(type: number, flags: number, stream: number, payload: Uint8Array = EMPTY): Buffer {
  const f = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  putFrameHeader(f, 0, payload.length, type, flags, stream);
  f.set(payload, FRAME_HEADER);
  return f;
}

const EMPTY = new Uint8Array(0);

/** SETTINGS with the given [id, value] pairs. */
export function settingsFrame(pairs: readonly (readonly [number, number])[]): Buffer {
  const p = Buffer.allocUnsafe(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(T.SETTINGS, 0, 0, p);
}

/** WINDOW_UPDATE granting `increment` bytes on `stream` (0: the connection). */
export function windowUpdateFrame(stream: number, increment: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(increment, 0);
  return frame(T.WINDOW_UPDATE, 0, stream, p);
}

/** RST_STREAM with an error code. */
export function rstStreamFrame(stream: number, code: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(code, 0);
  return frame(T.RST_STREAM, 0, stream, p);
}

/** GOAWAY naming the last stream this side will process, a code and a reason. */
export function goawayFrame(lastStream: number, code: number, reason = ""): Buffer {
  const debug = Buffer.from(reason.slice(0, 256), "utf8");
  const p = Buffer.allocUnsafe(8 + debug.length);
  p.writeUInt32BE(lastStream, 0);
  p.writeUInt32BE(code, 4);
  debug.copy(p, 8);
  return frame(T.GOAWAY, 0, 0, p);
}

/** The name of an error code, as logs and errors spell it (`NGHTTP2_` names, like Node's). */
export function errorName(code: number): string {
  const name = Object.entries(ErrorCode).find(([, v]) => v === code)?.[0];
  return name ? `NGHTTP2_${name}` : String(code);
}
