// A HostView over a real host root (`/` on the node, `/host` in the DaemonSet pod). Every path
// is resolved by host-path.ts's rule, the same one apply-plan.ts writes by.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import type { HostView } from "./host-view.ts";
import { resolveInHost } from "./host-path.ts";

/** Reads the host's files under `root` on demand. */
export function fsHostView(root: string): HostView {
  const at = (p: string) => join(root, resolveInHost(root, p));
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  return {
    read: (path) => (isFile(at(path)) ? readFileSync(at(path), "utf8") : undefined),
    list(dir) {
      try {
        return readdirSync(at(dir)).sort();
      } catch {
        return undefined;
      }
    },
    digest: (path) => (isFile(at(path)) ? createHash("sha256").update(readFileSync(at(path))).digest("hex") : undefined),
    readlink(path) {
      const p = join(root, resolveInHost(root, path, false));
      try {
        return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : undefined;
      } catch {
        return undefined;
      }
    },
    resolve: (path) => resolveInHost(root, path),
  };
}
