// A ustar writer with fixed metadata (owner root, one mtime, entries in sorted order), so the
// same files always make the same bytes: the image digest is reproducible.

export interface TarEntry {
  /** Path inside the archive, without a leading slash; directories without a trailing one. */
  path: string;
  type: "file" | "dir" | "symlink";
  mode: number;
  data?: Uint8Array;
  linkname?: string;
}

const enc = new TextEncoder();

function field(block: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = enc.encode(value);
  if (bytes.length > length) throw new Error(`tar: "${value}" does not fit in ${length} bytes`);
  block.set(bytes, offset);
}

const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0");

/** Splits a long path into ustar's prefix (155) and name (100) fields. */
function splitPath(path: string): [string, string] {
  if (enc.encode(path).length <= 100) return ["", path];
  const cut = path.lastIndexOf("/", 155);
  if (cut <= 0 || enc.encode(path.slice(cut + 1)).length > 100) throw new Error(`tar: path too long: ${path}`);
  return [path.slice(0, cut), path.slice(cut + 1)];
}

function header(e: TarEntry, mtime: number): Uint8Array {
  const h = new Uint8Array(512);
  const [prefix, name] = splitPath(e.type === "dir" ? `${e.path}/` : e.path);
  field(h, 0, 100, name);
  field(h, 100, 8, octal(e.mode, 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(e.type === "file" ? (e.data?.length ?? 0) : 0, 12));
  field(h, 136, 12, octal(mtime, 12));
  field(h, 148, 8, "        ");
  field(h, 156, 1, e.type === "file" ? "0" : e.type === "dir" ? "5" : "2");
  if (e.linkname) field(h, 157, 100, e.linkname);
  field(h, 257, 6, "ustar");
  field(h, 263, 2, "00");
  field(h, 265, 32, "root");
  field(h, 297, 32, "root");
  field(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${octal(sum, 7)}\0`);
  return h;
}

/** The tar archive of the entries, sorted by path, every one stamped with `mtime` (seconds). */
export function tarArchive(entries: TarEntry[], mtime: number): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts: Uint8Array[] = [];
  for (const e of sorted) {
    parts.push(header(e, mtime));
    if (e.type === "file" && e.data && e.data.length > 0) {
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad > 0) parts.push(new Uint8Array(pad));
    }
  }
  parts.push(new Uint8Array(1024));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parses a tar archive back into entries (for tests and for reading the layout back). */
export function readTar(tar: Uint8Array): TarEntry[] {
  const dec = new TextDecoder();
  const str = (o: number, l: number) => dec.decode(tar.subarray(o, o + l)).replace(/\0.*$/s, "");
  const out: TarEntry[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    if (tar.subarray(at, at + 512).every((b) => b === 0)) break;
    const name = str(at, 100);
    const prefix = str(at + 345, 155);
    const size = parseInt(str(at + 124, 12), 8);
    const flag = str(at + 156, 1);
    const path = (prefix ? `${prefix}/${name}` : name).replace(/\/$/, "");
    const type = flag === "5" ? "dir" : flag === "2" ? "symlink" : "file";
    out.push({
      path,
      type,
      mode: parseInt(str(at + 100, 8), 8),
      data: tar.slice(at + 512, at + 512 + size),
      linkname: str(at + 157, 100) || undefined,
    });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
