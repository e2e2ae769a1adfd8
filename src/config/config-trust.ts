// Whether a --config file can be trusted: it chooses the runtime sockets, so whoever can change
// it controls every pod on the node. The rule (OpenSSH's StrictModes, made to follow links):
//
// - the file is a regular file owned by root or by criproxy's own uid, with no group or other
//   write bit;
// - every directory on the way to it, from /, is owned by root or criproxy's uid and has no
//   group or other write bit, since whoever can write a directory can replace what is in it.
//   One exception: a directory with the sticky bit (like /tmp, mode 1777) owned by root or
//   criproxy's uid is accepted, because there others cannot rename or remove an entry they do
//   not own, and the entry that follows in the path is itself checked (its owner must be root
//   or criproxy's uid);
// - symbolic links are followed one step at a time, and each directory the walk enters is
//   checked the same way (the link itself has no permissions of its own; the directory holding
//   it is what protects it).
//
// Each refusal names the path and the reason.
import { lstatSync, readlinkSync, type Stats } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The file that was checked: its real path and identity, to compare with what is then opened. */
export interface TrustedFile {
  real: string;
  dev: number;
  ino: number;
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, "0");
/** "world-writable", "group-writable" or both, with the mode. */
const writable = (mode: number) =>
  `${[mode & 0o002 ? "world-writable" : "", mode & 0o020 ? "group-writable" : ""].filter(Boolean).join(" and ")} (mode ${octal(mode)})`;

/** Why the owner of `p` may not steer criproxy, or undefined. */
function badOwner(p: string, st: Stats, uid: number): string | undefined {
  if (st.uid === 0 || st.uid === uid) return undefined;
  return `${p} is owned by uid ${st.uid}, not root${uid === 0 ? "" : ` or criproxy's uid ${uid}`}`;
}

/** Why directory `p` does not protect its entries, or undefined. */
export function dirProblem(p: string, st: Stats, uid: number): string | undefined {
  const owner = badOwner(p, st, uid);
  if (owner) return owner;
  if ((st.mode & 0o022) === 0) return undefined;
  // Sticky: others may add entries but not replace ours; the next entry's owner is checked.
  if (st.mode & 0o1000) return undefined;
  return `${p} is ${writable(st.mode)} without the sticky bit: others could replace what it holds`;
}

/** Why file `p` is not safe to read, or undefined. */
export function fileProblem(p: string, st: Stats, uid: number): string | undefined {
  if (!st.isFile()) return `${p} is not a regular file`;
  const owner = badOwner(p, st, uid);
  if (owner) return owner;
  return st.mode & 0o022 ? `${p} is ${writable(st.mode)}` : undefined;
}

/** lstat, with a refusal that names the path when it fails. */
function look(p: string): Stats | string {
  try {
    return lstatSync(p);
  } catch (e) {
    return `cannot open ${p}: ${(e as Error).message}`;
  }
}

/** Walks `path` from / (links followed step by step); the trusted file, or why it is not trusted. */
export function checkConfigTrust(path: string, uid = process.geteuid?.() ?? 0): TrustedFile | string {
  const root = look("/");
  if (typeof root === "string") return root;
  const rootBad = dirProblem("/", root, uid);
  if (rootBad) return rootBad;
  const parts = resolve(path)
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  let cur = "/";
  for (let hops = 0; parts.length > 0; ) {
    const name = parts.shift()!;
    if (name === "..") {
      cur = dirname(cur); // Already checked on the way in.
      continue;
    }
    const next = join(cur, name);
    const st = look(next);
    if (typeof st === "string") return st;
    if (st.isSymbolicLink()) {
      if (++hops > 40) return `${path}: too many levels of symbolic links`;
      const target = readlinkSync(next);
      if (target.startsWith("/")) cur = "/";
      parts.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    const bad =
      parts.length > 0
        ? st.isDirectory()
          ? dirProblem(next, st, uid)
          : `${next} is not a directory`
        : fileProblem(next, st, uid);
    if (bad) return bad;
    if (parts.length === 0) return { real: next, dev: st.dev, ino: st.ino };
    cur = next;
  }
  return `${path} is not a regular file`;
}
