// How a plan reads to the operator: `--dry-run` prints the exact diff of every text file,
// one line for each backup, copy, link and directory.
import { unifiedDiff } from "./unified-diff.ts";
import type { Change, Plan } from "./plan.ts";

/** One change as the operator reads it. */
export function renderChange(c: Change): string {
  switch (c.kind) {
    case "mkdir":
      return `mkdir ${c.path}\n`;
    case "rmdir":
      return `rmdir ${c.path}\n`;
    case "backup":
      return `backup ${c.of} -> ${c.path}\n`;
    case "copy":
      return `${c.replaces ? "replace" : "install"} ${c.path} from ${c.from} (sha256 ${c.sha256})\n`;
    case "symlink":
      return `symlink ${c.path} -> ${c.target}\n`;
    case "remove":
      return c.before === undefined ? `remove ${c.path}\n` : unifiedDiff(c.path, c.before, undefined);
    case "write":
      return `${c.through === undefined ? "" : `# ${c.path} is a link to ${c.through}: written there, keeping its mode and owner\n`}${unifiedDiff(c.path, c.before, c.after)}`;
  }
}

/** The whole plan as text: notes, changes, then the systemctl commands. */
export function renderPlan(plan: Plan): string {
  let out = plan.notes.map((n) => `# ${n}\n`).join("");
  for (const c of plan.changes) out += renderChange(c);
  for (const cmd of plan.systemctl) out += `# then: systemctl ${cmd.join(" ")}\n`;
  return out;
}
