// The listening socket's file: make room for it safely, create it 0660 with no wider moment.
import { chmodSync, chownSync, lstatSync, mkdirSync, renameSync, statSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { answers, holderOf } from "./socket-holder.ts";

/**
 * Makes room for the listening socket at `path`, never taking a live one: its directory must be
 * root's (or this process's own user's: a test's temporary directory), or another user could
 * swap the socket kubelet trusts; a socket something answers on is refused, naming its holder;
 * only a stale socket (nothing answers: a crash left it) is replaced.
 */
export async function claimSocketPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const owner = statSync(dirname(path)).uid;
  const me = process.getuid?.() ?? 0;
  if (owner !== 0 && owner !== me)
    throw new Error(
      `--listen ${path}: its directory ${dirname(path)} belongs to uid ${owner}, not root; refusing to serve kubelet from a directory another user controls`,
    );
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (st.isSocket() && (await answers(path))) {
    const holder = holderOf(path);
    throw new Error(
      `--listen ${path}: a live socket is there (${holder ? `held by ${holder}` : "something accepts connections on it"}); refusing to take it`,
    );
  }
  prepareSocketPath(path);
}

/**
 * Creates the socket's directory if missing and removes a stale socket a crash left
 * behind; refuses to remove anything that is not a socket (a typo must not delete a file).
 */
export function prepareSocketPath(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  let st: ReturnType<typeof lstatSync>;
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
