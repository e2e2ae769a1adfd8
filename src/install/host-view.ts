// A read-only view of a node's root file system, addressed by absolute host paths
// ("/var/lib/kubelet/config.yaml"). The planners read the node only through it, so they are
// pure functions tested against in-memory views.
import { createHash } from "node:crypto";
import { resolveWith } from "./host-path.ts";

export interface HostView {
  /** The file's text, or undefined when it does not exist or is not a regular file. */
  read(path: string): string | undefined;
  /** The names in a directory, sorted, or undefined when it is not a directory. */
  list(dir: string): string[] | undefined;
  /** The sha256 (hex) of a file's bytes, or undefined when it does not exist. */
  digest(path: string): string | undefined;
  /** The target of a symbolic link, or undefined when the path is not one. */
  readlink(path: string): string | undefined;
  /** The host path after following every link (inside the host root): where a write lands. */
  resolve(path: string): string;
}

/** The hex sha256 of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Where a write to `path` lands when that is through a link, else undefined. */
export function linkTarget(view: HostView, path: string): string | undefined {
  const real = view.resolve(path);
  return real === path ? undefined : real;
}

/** A view over an in-memory map of path -> text (symlinks as `{ link: target }`), for tests. */
export function memoryHostView(files: Record<string, string | { link: string }>): HostView {
  const entries = new Map(Object.entries(files));
  const link = (p: string) => {
    const v = entries.get(p);
    return typeof v === "object" ? v.link : undefined;
  };
  const resolve = (p: string) => resolveWith(link, p);
  const text = (p: string) => {
    const v = entries.get(resolve(p));
    return typeof v === "string" ? v : undefined;
  };
  return {
    read: text,
    resolve,
    list(path) {
      const dir = resolve(path);
      const prefix = dir.endsWith("/") ? dir : `${dir}/`;
      const names = new Set<string>();
      for (const p of entries.keys()) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]);
      return names.size > 0 ? [...names].sort() : undefined;
    },
    digest: (p) => {
      const t = text(p);
      return t === undefined ? undefined : sha256(t);
    },
    readlink: (p) => link(resolveWith(link, p, false)),
  };
}
