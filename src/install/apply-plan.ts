// Carries out a plan on a real host root, by host-path.ts's rule: a file reached through
// symbolic links is written at the links' target, which keeps its mode and owner, and the
// links stay links. Every file is written to a new temporary name beside its target and
// renamed into place, so kubelet or systemd never read half a file. checkPlan() runs first and
// finds what would fail (a read-only /usr, a dangling link) before anything is touched. Every
// file and the directory that names it are fsynced before the next change: after a power loss
// a change is whole or not there, in plan order (the journal first: install-record.ts).
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  copyFileSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { Change } from "./plan.ts";
import { resolveHostPath, resolveInHost } from "./host-path.ts";

/** Where a change lands: whether it writes a file (through links), the host path written, and how to say it. */
function target(root: string, c: Change): { writesFile: boolean; real: string; at: string; say: string } {
  const writesFile = c.kind === "write" || c.kind === "backup" || c.kind === "copy";
  const real = resolveInHost(root, c.path, writesFile);
  return { writesFile, real, at: join(root, real), say: real === c.path ? c.path : `${c.path} (a link to ${real})` };
}

/** lstat, or undefined when nothing is there. */
function lstatOrNone(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** Why `dir` (or its nearest existing ancestor, under root) cannot be written, or undefined. */
function unwritable(root: string, dir: string): string | undefined {
  let d = dir;
  while (d.length > root.length && lstatOrNone(d) === undefined) d = dirname(d);
  try {
    accessSync(d, constants.W_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const host = d.slice(root.length) || "/";
    return code === "EROFS" ? `${host} is on a read-only file system` : `${host} is not writable (${code})`;
  }
}

/** What in `changes` cannot be carried out on the host at `root`, found before any change is made. */
function checkPlan(root: string, changes: Change[]): Error | undefined {
  for (const c of changes) {
    const t = target(root, c);
    const st = lstatOrNone(t.at);
    if (t.writesFile) {
      if (st !== undefined && !st.isFile()) return new Error(`cannot write ${t.say}: it is not a regular file`);
      if (st === undefined && resolveInHost(root, c.path, false) !== t.real) {
        return new Error(
          `cannot write ${c.path}: it is a symbolic link to ${t.real}, which does not exist; criproxy writes through a link only to an existing file`,
        );
      }
    }
    const why = unwritable(root, dirname(t.at));
    if (why !== undefined) return new Error(`cannot ${c.kind} ${t.say}: ${why}`);
  }
  return undefined;
}

/** Flushes a file's (or a directory's entries') bytes to the disk. */
function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `fill(tmp)` next to `at`, gives it the mode and owner of the file it replaces, renames it over. */
function atomically(at: string, mode: number, fill: (tmp: string) => void): void {
  const tmp = `${at}.criproxy-tmp-${process.pid}`;
  let owner: { uid: number; gid: number } | undefined;
  const st = lstatOrNone(at);
  if (st !== undefined) {
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  }
  rmSync(tmp, { force: true });
  try {
    fill(tmp);
    chmodSync(tmp, mode);
    if (owner !== undefined) chownSync(tmp, owner.uid, owner.gid);
    fsyncPath(tmp); // the bytes before the name: a power loss never leaves an empty file where kubelet's config was
    renameSync(tmp, at);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Applies one change under `root`, then fsyncs the directory that names it; an error names the path (and the link it went through). */
function applyChange(root: string, c: Change): void {
  const t = target(root, c);
  try {
    change(c, t.at, root);
    fsyncPath(dirname(t.at));
  } catch (e) {
    throw new Error(`cannot ${c.kind} ${t.say}: ${(e as Error).message}`);
  }
}

/** Makes one change at `at` (its host path under `root`). */
function change(c: Change, at: string, root: string): void {
  switch (c.kind) {
    case "mkdir":
      return void mkdirSync(at, { mode: 0o755 });
    case "rmdir":
      return rmdirSync(at);
    case "remove":
      return rmSync(at, { force: true });
    // "wx": the temporary name is created new, never opened through something already there.
    case "write":
      return atomically(at, c.mode, (tmp) => writeFileSync(tmp, c.after, { flag: "wx", mode: 0o600 }));
    case "backup": {
      // The backup keeps the original's mode: a 0600 kubelet config stays private.
      const mode = statSync(resolveHostPath(root, c.of)).mode & 0o7777;
      return atomically(at, mode, (tmp) => writeFileSync(tmp, c.content, { flag: "wx", mode: 0o600 }));
    }
    case "copy":
      return atomically(at, 0o755, (tmp) => copyFileSync(c.from, tmp, constants.COPYFILE_EXCL));
    case "symlink": {
      const tmp = `${at}.criproxy-tmp-${process.pid}`;
      rmSync(tmp, { force: true });
      symlinkSync(c.target, tmp);
      return renameSync(tmp, at);
    }
  }
}

/**
 * Checks a plan, then applies its changes in order under `root`. `afterStep(n)` runs after the
 * n-th change is on disk: the fault-injection hook of the kill-at-every-step tests.
 */
export function applyPlan(root: string, changes: Change[], afterStep?: (n: number) => void): void {
  const bad = checkPlan(root, changes);
  if (bad) throw bad;
  for (const [i, c] of changes.entries()) {
    applyChange(root, c);
    afterStep?.(i + 1);
  }
}
