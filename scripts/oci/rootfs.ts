// The image's only layer: the criproxy binary, nsenter (for `install --restart` from a pod),
// the shared libraries and loader they link (found with ldd, copied from this machine), and the
// few files a process expects: /etc/passwd with root, /tmp, /run.
import { readFileSync, realpathSync, statSync } from "node:fs";
import type { TarEntry } from "./tar.ts";

/** A file copied from this machine into the image. */
export interface HostFile {
  src: string;
  dest: string;
}

/** The absolute paths of the libraries and loader `ldd` lists for a binary (none when static). */
export function parseLdd(output: string): string[] {
  const out: string[] = [];
  for (const line of output.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const m = /=>\s*(\/\S+)\s+\(/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}

/** Runs ldd on a binary; a static binary needs nothing. */
export function sharedLibraries(binary: string): string[] {
  const r = Bun.spawnSync(["ldd", binary], { stdout: "pipe", stderr: "pipe" });
  const text = r.stdout.toString();
  if (r.exitCode !== 0 && /not a dynamic executable/.test(text + r.stderr.toString())) return [];
  if (r.exitCode !== 0) throw new Error(`ldd ${binary} failed: ${r.stderr.toString()}`);
  return parseLdd(text);
}

/** Every binary plus the libraries each links, at the paths the loader looks for them. */
export function withLibraries(binaries: HostFile[]): HostFile[] {
  const out = [...binaries];
  for (const b of binaries) {
    for (const lib of sharedLibraries(b.src)) if (!out.some((f) => f.dest === lib)) out.push({ src: lib, dest: lib });
  }
  return out;
}

/** The layer's entries: the files (symlinks resolved), their parent dirs, and the base files. */
export function rootfsEntries(files: HostFile[]): TarEntry[] {
  const entries = new Map<string, TarEntry>();
  const dir = (path: string, mode = 0o755) => entries.set(path, { path, type: "dir", mode });
  const addParents = (path: string) => {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (!entries.has(p)) dir(p);
    }
  };
  const enc = new TextEncoder();
  const text = (path: string, body: string, mode = 0o644) => {
    addParents(path);
    entries.set(path, { path, type: "file", mode, data: enc.encode(body) });
  };
  dir("tmp", 0o1777);
  dir("run");
  dir("root", 0o700);
  text("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n");
  text("etc/group", "root:x:0:\n");
  for (const f of files) {
    const path = f.dest.replace(/^\//, "");
    addParents(path);
    const real = realpathSync(f.src);
    entries.set(path, { path, type: "file", mode: statSync(real).mode & 0o755, data: readFileSync(real) });
  }
  return [...entries.values()];
}
