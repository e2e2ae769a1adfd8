// HPACK Huffman decoding (RFC 7541, section 5.2), by walking a code tree built once.
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./huffman-table.ts";

const EOS = 256;
// tree[node * 2 + bit]: > 0 the next node; <= 0 a leaf holding -symbol.
const tree = buildTree();

function buildTree(): Int32Array {
  const t = new Int32Array(2 * 2 * 257).fill(0x7fffffff);
  let nodes = 1;
  const add = (code: number, length: number, symbol: number) => {
    let node = 0;
    for (let i = length - 1; i >= 0; i--) {
      const slot = node * 2 + ((code >>> i) & 1);
      if (i === 0) t[slot] = -symbol;
      else node = t[slot] === 0x7fffffff ? (t[slot] = nodes++) : t[slot];
    }
  };
  for (let s = 0; s < 256; s++) add(HUFFMAN_CODES[s], HUFFMAN_LENGTHS[s], s);
  add(0x3fffffff, 30, EOS);
  return t;
}

/** Decodes a Huffman-encoded string; throws on EOS inside it or on padding that is not a short run of 1s. */
export function huffmanDecode(input: Uint8Array): string {
  const out = Buffer.allocUnsafe(Math.ceil((input.length * 8) / 5));
  let n = 0;
  let node = 0;
  let bits = 0; // bits read since the last symbol
  let ones = true; // and all of them were 1
  for (let i = 0; i < input.length; i++) {
    const byte = input[i];
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = tree[node * 2 + bit];
      bits++;
      if (bit === 0) ones = false;
      if (next > 0) {
        node = next;
        continue;
      }
      if (next === 0x7fffffff) throw new Error("invalid Huffman code");
      const symbol = -next;
      if (symbol === EOS) throw new Error("EOS in a Huffman-encoded string");
      out[n++] = symbol;
      node = 0;
      bits = 0;
      ones = true;
    }
  }
  if (bits > 7 || !ones) throw new Error("invalid Huffman padding");
  return out.toString("latin1", 0, n);
}
