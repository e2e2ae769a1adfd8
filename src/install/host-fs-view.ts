// A HostView over a real host root (`/` on the node, `/host` in the DaemonSet pod). Every path
// is resolved by host-path.ts's rule, the same one apply-plan.ts writes by.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { sha256, type HostView } from "./host-view.ts";
import { resolveHostPath, resolveInHost, rootLinkReader } from "./host-path.ts";

/** Reads the host's files under `root` on demand. */
export function fsHostView(root: string): HostView {
  const at = (p: string) => resolveHostPath(root, p);
  const link = rootLinkReader(root);
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
    digest: (path) => (isFile(at(path)) ? sha256(readFileSync(at(path))) : undefined),
    readlink: (path) => link(resolveInHost(root, path, false)),
    resolve: (path) => resolveInHost(root, path),
  };
}
