// Carries out a plan on a real host root. Every file is written to a temporary name beside
// it and renamed into place, so kubelet or systemd never read half a file.
import { chmodSync, chownSync, copyFileSync, mkdirSync, renameSync, rmdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import type { Change } from "./plan.ts";
import { resolveHostPath } from "./host-path.ts";

/** Writes `fill(tmp)` next to `target`, gives it the mode and owner of the file it replaces, renames it over. */
function atomically(target: string, mode: number, fill: (tmp: string) => void): void {
  const tmp = `${target}.criproxy-tmp-${process.pid}`;
  let uid: number | undefined;
  let gid: number | undefined;
  try {
    const st = statSync(target);
    mode = st.mode & 0o7777;
    uid = st.uid;
    gid = st.gid;
  } catch {
    // New file: the planned mode, owned by whoever runs install (root).
  }
  try {
    fill(tmp);
    chmodSync(tmp, mode);
    if (uid !== undefined && gid !== undefined) chownSync(tmp, uid, gid);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Applies one change under `root`. */
export function applyChange(root: string, c: Change): void {
  const at = resolveHostPath(root, c.path, false);
  switch (c.kind) {
    case "mkdir":
      return void mkdirSync(at, { mode: 0o755 });
    case "rmdir":
      return rmdirSync(at);
    case "remove":
      return rmSync(at, { force: true });
    case "write":
      return atomically(at, c.mode, (tmp) => writeFileSync(tmp, c.after));
    case "backup": {
      // The backup keeps the original's mode: a 0600 kubelet config stays private.
      const mode = statSync(resolveHostPath(root, c.of)).mode & 0o7777;
      return atomically(at, mode, (tmp) => writeFileSync(tmp, c.content));
    }
    case "copy":
      return atomically(at, 0o755, (tmp) => copyFileSync(c.from, tmp));
    case "symlink": {
      const tmp = `${at}.criproxy-tmp-${process.pid}`;
      rmSync(tmp, { force: true });
      symlinkSync(c.target, tmp);
      return renameSync(tmp, at);
    }
  }
}

/** Applies a plan's changes in order under `root`. */
export function applyPlan(root: string, changes: Change[]): void {
  for (const c of changes) applyChange(root, c);
}
