// The listening socket's file: make room for it safely, create it 0660 with no wider moment.
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";

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

/** Runs `bind` with a umask that makes the socket 0660 from its first moment, then fixes mode and group. */
export async function bindPrivately(path: string, bind: () => Promise<void>, gid?: number): Promise<void> {
  const previous = process.umask(0o117);
  try {
    await bind();
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o660);
  if (gid !== undefined) chownSync(path, -1, gid);
}
