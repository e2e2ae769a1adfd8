// A plan: the file changes install or uninstall makes on the host, in the order they are
// applied, and the systemd units to restart afterwards. Planners make plans; apply-plan.ts does them.

export type Change =
  | { kind: "mkdir"; path: string }
  /** A text file written atomically; an existing file keeps its mode and owner; `through`: the link target written. */
  | { kind: "write"; path: string; before?: string; after: string; mode: number; through?: string }
  /** The original of `of`, kept before it is edited. */
  | { kind: "backup"; path: string; of: string; content: string }
  /** The criproxy binary, copied atomically from a file on this machine (not on the host). */
  | { kind: "copy"; path: string; from: string; sha256: string; replaces: boolean }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "remove"; path: string; before?: string }
  | { kind: "rmdir"; path: string };

export interface Plan {
  changes: Change[];
  /** systemctl commands that make the change take effect, in order (argv after "systemctl"). */
  systemctl: string[][];
  /** Lines for the operator: what was found and what it means. */
  notes: string[];
}

/** True when a plan changes nothing on the host. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.changes.length === 0;
}

/** The directories to create (outermost first) so that `path` can be written. */
export function missingDirs(dirExists: (dir: string) => boolean, path: string): string[] {
  const out: string[] = [];
  for (
    let dir = path.slice(0, path.lastIndexOf("/"));
    dir !== "" && !dirExists(dir);
    dir = dir.slice(0, dir.lastIndexOf("/"))
  ) {
    out.unshift(dir);
  }
  return out;
}
