// Finds the files that make kubelet's command line: its systemd unit, the drop-ins, and the
// EnvironmentFile=s they name (kubeadm's /var/lib/kubelet/kubeadm-flags.env, /etc/default/kubelet).
import type { HostView } from "./host-view.ts";
import { KUBELET_DROPIN_DIRS, KUBELET_UNITS } from "./paths.ts";

export interface KubeletUnitFiles {
  /** The unit file systemd loads for kubelet.service. */
  unit: string;
  /** The drop-ins, in the order systemd applies them (by file name). */
  dropins: string[];
  /** Environment files named by the unit or drop-ins that exist on the host. */
  envFiles: string[];
}

/** Lines of a unit file that are not comments, joined across backslash continuations. */
export function unitLines(text: string): string[] {
  const out: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (pending === "" && /^\s*[#;]/.test(line)) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    out.push((pending + line).trim());
    pending = "";
  }
  if (pending !== "") out.push(pending.trim());
  return out;
}

/** The paths named by `EnvironmentFile=` lines (a leading "-" means optional). */
export function environmentFiles(text: string): string[] {
  const out: string[] = [];
  for (const line of unitLines(text)) {
    const m = /^EnvironmentFile\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    for (const word of m[1].split(/\s+/)) {
      const p = word.replace(/^-/, "").replace(/^"(.*)"$/, "$1");
      if (p.startsWith("/")) out.push(p);
    }
  }
  return out;
}

/** Finds kubelet.service's unit, drop-ins and environment files, or undefined when there is no unit. */
export function findKubeletUnitFiles(view: HostView): KubeletUnitFiles | undefined {
  const units = KUBELET_UNITS.filter((p) => view.read(p) !== undefined);
  if (units.length === 0) return undefined;
  const unit = units[0];
  // Same-named drop-ins: the one in the earlier directory wins. /lib is often a symlink to
  // /usr/lib (merged /usr): an identical file there is the same file, not a second drop-in.
  const byName = new Map<string, string>();
  for (const dir of KUBELET_DROPIN_DIRS) {
    for (const name of view.list(dir) ?? []) {
      if (!name.endsWith(".conf") || byName.has(name)) continue;
      const path = `${dir}/${name}`;
      if (view.read(path) !== undefined) byName.set(name, path);
    }
  }
  const dropins = [...byName.keys()].sort().map((n) => byName.get(n)!);
  const envFiles: string[] = [];
  for (const p of [unit, ...dropins]) {
    for (const env of environmentFiles(view.read(p)!)) {
      if (!envFiles.includes(env) && view.read(env) !== undefined) envFiles.push(env);
    }
  }
  return { unit, dropins, envFiles };
}
