// HPACK (RFC 7541): the decoder keeps the peer's dynamic table and bounds what a block may
// expand to; the encoder writes static indexes and plain literals only, so it keeps no state.
import { huffmanDecode } from "./huffman.ts";
import { STATIC_NAME_INDEX, STATIC_PAIR_INDEX, STATIC_TABLE } from "./static-table.ts";

/** A header list as [name, value] pairs, in the order they came. */
export type HeaderList = [string, string][];

/** Headers to send: a list, or a block encoded once with encodeHeaders. */
export type HeadersOut = readonly (readonly [string, string])[] | Uint8Array;

/** A header block that does not decode: a connection error (COMPRESSION_ERROR), since the table is lost. */
export class HpackError extends Error {}

/** A block that expands far past the list bound (an HPACK bomb): the connection ends (ENHANCE_YOUR_CALM). */
export class HpackBomb extends HpackError {}

/** How far past the list bound a block may expand before it is a bomb rather than a large list. */
const BOMB_FACTOR = 16;

const ENTRY_OVERHEAD = 32;

/** Decodes the header blocks of one connection's peer, in order. */
export class HpackDecoder {
  // Newest first: index 62 is entries[0].
  private entries: [string, string][] = [];
  private size = 0;
  private maxSize: number;

  /** `limit`: the table size we advertised (SETTINGS_HEADER_TABLE_SIZE); `maxListSize`: the most a decoded list may weigh. */
  constructor(
    private readonly limit = 4096,
    private readonly maxListSize = 64 * 1024,
  ) {
    this.maxSize = limit;
  }

  /**
   * The header list of one whole block. `tooLarge` is set when the list passed `maxListSize`
   * (the table is still updated, so the connection stays usable; the stream is refused).
   */
  decode(block: Uint8Array): { headers: HeaderList; tooLarge: boolean } {
    const headers: HeaderList = [];
    let weight = 0;
    let tooLarge = false;
    let at = 0;
    let fields = 0;
    const add = (name: string, value: string) => {
      fields++;
      weight += name.length + value.length + ENTRY_OVERHEAD;
      if (weight > this.maxListSize) {
        tooLarge = true;
        if (weight > this.maxListSize * BOMB_FACTOR)
          throw new HpackBomb(`a header block expanding past ${this.maxListSize * BOMB_FACTOR} bytes`);
      } else headers.push([name, value]);
    };
    while (at < block.length) {
      const b = block[at];
      if (b & 0x80) {
        const [index, next] = readInt(block, at, 7);
        at = next;
        const [name, value] = this.entry(index);
        add(name, value);
      } else if (b & 0x40) {
        const [index, next] = readInt(block, at, 6);
        const [name, afterName] = index === 0 ? readString(block, next) : [this.entry(index)[0], next];
        const [value, afterValue] = readString(block, afterName);
        at = afterValue;
        this.insert(name, value);
        add(name, value);
      } else if (b & 0x20) {
        const [size, next] = readInt(block, at, 5);
        // RFC 7541 §4.2: an update comes at the start of a block, before any field.
        if (fields > 0) throw new HpackError("a dynamic table size update after a header field");
        if (size > this.limit) throw new HpackError(`dynamic table size update to ${size} exceeds ${this.limit}`);
        at = next;
        this.maxSize = size;
        this.evict(0);
      } else {
        const [index, next] = readInt(block, at, 4); // without indexing, or never indexed
        const [name, afterName] = index === 0 ? readString(block, next) : [this.entry(index)[0], next];
        const [value, afterValue] = readString(block, afterName);
        at = afterValue;
        add(name, value);
      }
    }
    return { headers, tooLarge };
  }

  private entry(index: number): readonly [string, string] {
    if (index >= 1 && index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
    const e = this.entries[index - STATIC_TABLE.length - 1];
    if (!e) throw new HpackError(`header index ${index} is not in the table`);
    return e;
  }

  private insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.evict(size);
    if (size > this.maxSize) return; // larger than the table: it empties it, and is not kept
    this.entries.unshift([name, value]);
    this.size += size;
  }

  private evict(room: number): void {
    while (this.entries.length > 0 && this.size + room > this.maxSize) {
      const [n, v] = this.entries.pop()!;
      this.size -= n.length + v.length + ENTRY_OVERHEAD;
    }
  }
}

function readInt(buf: Uint8Array, at: number, prefixBits: number): [number, number] {
  const max = (1 << prefixBits) - 1;
  let value = buf[at] & max;
  at++;
  if (value < max) return [value, at];
  for (let shift = 0; ; shift += 7) {
    if (at >= buf.length) throw new HpackError("truncated integer");
    if (shift > 21) throw new HpackError("integer too large");
    const byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [value, at];
  }
}

function readString(buf: Uint8Array, at: number): [string, number] {
  if (at >= buf.length) throw new HpackError("truncated string");
  const huffman = (buf[at] & 0x80) !== 0;
  const [length, start] = readInt(buf, at, 7);
  const end = start + length;
  if (end > buf.length) throw new HpackError("truncated string");
  const bytes = buf.subarray(start, end);
  try {
    return [
      huffman ? huffmanDecode(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1"),
      end,
    ];
  } catch (e) {
    throw new HpackError((e as Error).message);
  }
}

/** Encodes a header list with static indexes where a name or pair is in the table, plain literals otherwise, never indexed in the peer's table. */
export function encodeHeaders(headers: Iterable<readonly [string, string]>): Buffer {
  const parts: number[] = [];
  for (const [name, value] of headers) {
    const pair = STATIC_PAIR_INDEX.get(`${name}\0${value}`);
    if (pair !== undefined) {
      writeInt(parts, pair, 7, 0x80);
      continue;
    }
    const nameIndex = STATIC_NAME_INDEX.get(name);
    // Literal without indexing (0000xxxx): the peer's table stays as it is.
    writeInt(parts, nameIndex ?? 0, 4, 0x00);
    if (nameIndex === undefined) writeString(parts, name);
    writeString(parts, value);
  }
  return Buffer.from(parts);
}

function writeInt(out: number[], value: number, prefixBits: number, first: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  value -= max;
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

function writeString(out: number[], s: string): void {
  writeInt(out, s.length, 7, 0x00);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
}
