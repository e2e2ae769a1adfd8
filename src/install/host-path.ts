// Maps an absolute host path to the path under the mounted host root, following symbolic
// links the way the host would: an absolute link target is relative to the host root, not to
// the pod's own root (merged-/usr nodes link /lib -> usr/lib; some link /etc files into /run).
import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** The path under `root` that the host means by `path`; the last component is followed only when `followLast`. */
export function resolveHostPath(root: string, path: string, followLast = true): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  const done: string[] = [];
  for (let hops = 0; parts.length > 0; ) {
    const name = parts.shift()!;
    if (name === "..") {
      done.pop();
      continue;
    }
    const here = join(root, ...done, name);
    const isLast = parts.length === 0;
    let link: string | undefined;
    if (!isLast || followLast) {
      try {
        if (lstatSync(here).isSymbolicLink()) link = readlinkSync(here);
      } catch {
        // Missing: the rest of the path is taken as written.
      }
    }
    if (link === undefined) {
      done.push(name);
      continue;
    }
    if (++hops > 40) throw new Error(`too many symbolic links in ${path}`);
    if (link.startsWith("/")) done.length = 0;
    parts.unshift(...link.split("/").filter((p) => p !== "" && p !== "."));
  }
  return join(root, ...done);
}
