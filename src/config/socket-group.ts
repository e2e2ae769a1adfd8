// `--socket-group NAME|GID`: the group that may use the socket (0660), e.g. a group kubelet's
// tooling runs as. A name is looked up in /etc/group; a number is taken as it is.
import { readFileSync } from "node:fs";

/** The gid in `/etc/group`-format text for `group` (a name or a number); throws when unknown. */
export function gidFrom(group: string, etcGroup: string): number {
  if (/^\d+$/.test(group)) {
    const gid = Number(group);
    if (gid > 0xfffffffe) throw new Error(`${group} is not a group id`);
    return gid;
  }
  for (const line of etcGroup.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new Error(`group ${JSON.stringify(group)} is not in /etc/group`);
}

/** Resolves `group` against this machine's /etc/group. */
export function resolveSocketGroup(group: string, etcGroupPath = "/etc/group"): number {
  if (/^\d+$/.test(group)) return gidFrom(group, "");
  let text = "";
  try {
    text = readFileSync(etcGroupPath, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${etcGroupPath} to find group ${JSON.stringify(group)}: ${(e as Error).message}`);
  }
  return gidFrom(group, text);
}
