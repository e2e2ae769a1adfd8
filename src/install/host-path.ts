// How a host path is resolved under the mounted host root: the one symlink rule that reads,
// writes and removals share. Links are followed the way the host would follow them, as if
// chrooted: an absolute target is relative to the host root (merged-/usr nodes link
// /lib -> usr/lib; image-based ones link /var/lib/kubelet/config.yaml into /etc), and ".."
// stops at the root. So no path, however its links point, leads out of the host root.
import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** Reads a link on the host (a host path), or undefined when the path is not a link. */
export type LinkReader = (hostPath: string) => string | undefined;

/** The host path that `path` designates; the last component is followed only when `followLast`. Pure over `readlink`. */
export function resolveWith(readlink: LinkReader, path: string, followLast = true): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  const done: string[] = [];
  for (let hops = 0; parts.length > 0; ) {
    const name = parts.shift()!;
    if (name === "..") {
      done.pop();
      continue;
    }
    const link = parts.length > 0 || followLast ? readlink(`/${[...done, name].join("/")}`) : undefined;
    if (link === undefined) {
      done.push(name);
      continue;
    }
    if (++hops > 40) throw new Error(`${path}: too many levels of symbolic links`);
    if (link.startsWith("/")) done.length = 0;
    parts.unshift(...link.split("/").filter((p) => p !== "" && p !== "."));
  }
  return `/${done.join("/")}`;
}

/** Reads links of the host mounted at `root`. */
export function rootLinkReader(root: string): LinkReader {
  return (hostPath) => {
    const here = join(root, hostPath);
    try {
      return lstatSync(here).isSymbolicLink() ? readlinkSync(here) : undefined;
    } catch {
      return undefined; // Missing: the rest of the path is taken as written.
    }
  };
}

/** The host path `path` designates on the host mounted at `root` (links followed inside it). */
export function resolveInHost(root: string, path: string, followLast = true): string {
  return resolveWith(rootLinkReader(root), path, followLast);
}

/** The path under `root` that the host means by `path`; the last component is followed only when `followLast`. */
export function resolveHostPath(root: string, path: string, followLast = true): string {
  return join(root, resolveInHost(root, path, followLast));
}
