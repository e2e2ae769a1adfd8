// Older grpc-go clients (grpc-go 1.33: kubelets and crictl built with it) send the raw socket
// path ("/run/criproxy.sock") as :authority, and Bun's HTTP/2 server resets every such stream
// with PROTOCOL_ERROR before a handler runs. On a Unix socket the authority means nothing, so
// the bytes a client sends pass through this filter, which sets :authority to "localhost".
//
// It works on the HTTP/2 frames (RFC 9113) and HPACK header blocks (RFC 7541) without decoding
// any string, which is only safe while no dynamic table is in use: a field may then change
// length. So the connection asks the client for a zero-size table (filtered-socket.ts injects
// that SETTINGS; its ACK is dropped here), and header blocks are rewritten only once the client
// has shrunk its table to 0 (a size update of 0, as grpc-go sends). A client that ignores the
// setting (Bun's own HTTP/2 client does) keeps its table, and its blocks pass unchanged. Only
// HEADERS, CONTINUATION and SETTINGS ACK frames are read; all else passes as the same bytes.

const PREFACE_LENGTH = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
const FRAME_HEADER = 9;
const HEADERS = 0x1;
const SETTINGS = 0x4;
const CONTINUATION = 0x9;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** The largest frame a peer may send before the server's SETTINGS say otherwise. */
const MAX_FRAME = 16384;
const AUTHORITY = Buffer.from("localhost");

/** Rewrites a client's byte stream; `push` returns what to hand the HTTP/2 server now. */
export class AuthorityFilter {
  private pending = Buffer.alloc(0);
  private prefaceLeft = PREFACE_LENGTH;
  /** A header block split over HEADERS + CONTINUATION frames, gathered until END_HEADERS. */
  private block: { streamId: number; flags: number; priority: Buffer; fragments: Buffer[]; frames: Buffer[] } | undefined;
  /** True while the client's HPACK dynamic table is 0 bytes (it signalled so). */
  private zeroTable = false;
  private acks = 0;

  /** `dropAck`: which SETTINGS ACK from the client answers our injected SETTINGS (1-based), if any. */
  constructor(private readonly dropAck = 0) {}

  /** Takes the next chunk from the client; returns the bytes to pass on (possibly none yet). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, data.length);
      out.push(data.subarray(0, n));
      this.prefaceLeft -= n;
      data = data.subarray(n);
    }
    let at = 0;
    while (data.length - at >= FRAME_HEADER) {
      const length = data.readUIntBE(at, 3);
      if (data.length - at < FRAME_HEADER + length) break;
      const frame = data.subarray(at, at + FRAME_HEADER + length);
      at += FRAME_HEADER + length;
      const type = frame[3];
      if (type === HEADERS || (type === CONTINUATION && this.block)) out.push(...this.headerFrame(frame));
      else if (type === SETTINGS && frame[4] & ACK && ++this.acks === this.dropAck) continue; // ours: the server never sent it
      else out.push(frame);
    }
    this.pending = Buffer.from(data.subarray(at)); // copy: the caller may reuse its chunk
    return out;
  }

  private headerFrame(frame: Buffer): Buffer[] {
    const flags = frame[4];
    const streamId = frame.readUInt32BE(5) & 0x7fffffff;
    let payload = frame.subarray(FRAME_HEADER);
    if (frame[3] === HEADERS) {
      let priority = Buffer.alloc(0);
      if (flags & PADDED) payload = payload.subarray(1, payload.length - payload[0]);
      if (flags & PRIORITY) {
        priority = Buffer.from(payload.subarray(0, 5));
        payload = payload.subarray(5);
      }
      this.block = { streamId, flags: flags & ~PADDED, priority, fragments: [], frames: [] };
    }
    const block = this.block!;
    block.fragments.push(Buffer.from(payload));
    block.frames.push(Buffer.from(frame));
    if (!(flags & END_HEADERS)) return [];
    this.block = undefined;
    const original = Buffer.concat(block.fragments);
    let rewritten: Buffer = original;
    try {
      const { zeroTable, block: changed } = withLocalAuthority(original, this.zeroTable);
      this.zeroTable = zeroTable;
      rewritten = changed;
    } catch {
      // Not HPACK we can read: pass it on as it came and let the server answer it.
    }
    if (rewritten === original) return block.frames; // unchanged: the frames as they came
    return headerFrames(block.streamId, block.flags | END_HEADERS, block.priority, rewritten);
  }
}

/**
 * A header block with every :authority field (static name index 1) set to "localhost", when
 * the client's dynamic table is (or this block makes it) 0 bytes; else the block unchanged.
 * Returns the table state after the block.
 */
export function withLocalAuthority(block: Buffer, zeroTable: boolean): { zeroTable: boolean; block: Buffer } {
  const parts: Buffer[] = [];
  let copied = 0;
  let i = 0;
  while (i < block.length) {
    const b = block[i];
    if (b & 0x80) {
      i = skipInt(block, i, 7); // indexed field
      continue;
    }
    if ((b & 0xe0) === 0x20) {
      const [size, next] = readInt(block, i, 5); // dynamic table size update
      zeroTable = size === 0;
      i = next;
      continue;
    }
    if (!zeroTable) return { zeroTable, block };
    const prefix = (b & 0xc0) === 0x40 ? 6 : 4; // literal with incremental indexing : without / never indexed
    const start = i;
    const [nameIndex, afterName] = readInt(block, i, prefix);
    i = nameIndex === 0 ? skipString(block, afterName) : afterName;
    i = skipString(block, i);
    if (nameIndex !== 1) continue;
    // Same representation and name index; a raw (not Huffman) value "localhost".
    parts.push(block.subarray(copied, start), Buffer.from([b & (prefix === 6 ? 0xc0 : 0xf0) | 1, AUTHORITY.length]), AUTHORITY);
    copied = i;
  }
  if (copied === 0) return { zeroTable, block };
  parts.push(block.subarray(copied));
  return { zeroTable, block: Buffer.concat(parts) };
}

// One HEADERS frame, plus CONTINUATION frames if the block outgrew a frame.
function headerFrames(streamId: number, flags: number, priority: Buffer, block: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let payload = Buffer.concat([priority, block]);
  let type = HEADERS;
  do {
    const piece = payload.subarray(0, MAX_FRAME);
    payload = payload.subarray(piece.length);
    const last = payload.length === 0;
    const head = Buffer.alloc(FRAME_HEADER);
    head.writeUIntBE(piece.length, 0, 3);
    head[3] = type;
    head[4] = type === HEADERS ? (flags & ~END_HEADERS) | (last ? END_HEADERS : 0) : last ? END_HEADERS : 0;
    head.writeUInt32BE(streamId, 5);
    frames.push(head, piece);
    type = CONTINUATION;
  } while (payload.length > 0);
  return frames;
}

function readInt(buf: Buffer, i: number, prefixBits: number): [number, number] {
  const max = (1 << prefixBits) - 1;
  let value = buf[i] & max;
  i++;
  if (value < max) return [value, i];
  for (let shift = 0; ; shift += 7) {
    if (i >= buf.length || shift > 28) throw new Error("malformed HPACK integer");
    const byte = buf[i++];
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [value, i];
  }
}

function skipInt(buf: Buffer, i: number, prefixBits: number): number {
  return readInt(buf, i, prefixBits)[1];
}

function skipString(buf: Buffer, i: number): number {
  const [length, at] = readInt(buf, i, 7);
  if (at + length > buf.length) throw new Error("malformed HPACK string");
  return at + length;
}
