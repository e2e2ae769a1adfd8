// The listening socket's file: make room for it safely, create it 0660 with no wider moment.
import { chmodSync, chownSync, lstatSync, mkdirSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Creates the socket's directory if missing and removes a stale socket a crash left
 * behind; refuses to remove anything that is not a socket (a typo must not delete a file).
 */
export function prepareSocketPath(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`--listen ${path} exists and is not a socket; refusing to remove it`);
  unlinkSync(path);
}

/**
 * Binds the socket at a temporary name beside `path` with a umask that makes it 0660 from its
 * first moment, sets its group, then renames it into place: a client finds it at `path` only
 * once it is complete (kubelet in the group never meets a socket it may not use yet).
 */
export async function bindPrivately(path: string, bind: (at: string) => Promise<void>, gid?: number): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  prepareSocketPath(temporary);
  const previous = process.umask(0o117);
  try {
    await bind(temporary);
  } finally {
    process.umask(previous);
  }
  chmodSync(temporary, 0o660);
  if (gid !== undefined) chownSync(temporary, -1, gid);
  renameSync(temporary, path);
}
