// Plans `criproxy uninstall`: put kubelet's files back as they were, then remove what install
// created. Pure: reads the host only through a HostView.
import type { HostView } from "./host-view.ts";
import { linkTarget, sha256 } from "./host-view.ts";
import { findFlag, setFlag } from "./command-line-flag.ts";
import { kubeletConfigField, setKubeletConfigField } from "./kubelet-config-yaml.ts";
import { detectKubeletLayout, endpointPath } from "./kubelet-layout.ts";
import { foreignEdits, journaled, readRecord, type EditedFile } from "./install-record.ts";
import type { Change, Plan } from "./plan.ts";
import { BINARY_PATH, RECORD_PATH } from "./paths.ts";

/** `text` with every setting install changed set back to its original (added fields removed). */
function revertSettings(text: string, entry: EditedFile, listen: string): string | Error {
  let out = text;
  for (const s of entry.settings) {
    if (s.mechanism === "flag") {
      // Only values that still point at criproxy: someone may have changed the file since.
      if (findFlag(out, s.name).some((f) => endpointPath(f.value) === listen))
        out = setFlag(out, s.name, s.original ?? "");
      continue;
    }
    const value = kubeletConfigField(out, s.name);
    if (value === undefined || endpointPath(value) !== listen) continue;
    if (s.original === null) {
      out = out.replace(new RegExp(`^${s.name}:.*\\n?`, "m"), "");
      continue;
    }
    const next = setKubeletConfigField(out, s.name, s.original);
    if (next instanceof Error) return next;
    out = next;
  }
  return out;
}

/** The plan that removes criproxy from the host, or an error saying why it will not. */
export function planUninstall(view: HostView): Plan | Error {
  const record = readRecord(view);
  if (record instanceof Error) return new Error(`cannot uninstall: ${record.message}`);
  if (record === undefined)
    return { changes: [], systemctl: [], notes: [`criproxy is not installed here (no ${RECORD_PATH})`] };
  // The record's kubelet files must be ones kubelet's own layout names: the record cannot steer
  // uninstall to any other file.
  const layout = detectKubeletLayout(view);
  const foreign = foreignEdits(record, layout instanceof Error ? layout : layout.files, view);
  if (foreign !== undefined) return new Error(`cannot uninstall: ${foreign}`);
  const changes: Change[] = [];
  const notes: string[] = [`kubelet goes back to ${record.primary}`];
  const removed = new Set<string>();

  for (const entry of record.edited) {
    const current = view.read(entry.path);
    if (current === undefined) {
      notes.push(`${entry.path} is gone; nothing to restore there`);
      continue;
    }
    const backup = view.read(entry.backup);
    // Unchanged since install: the backup is the original, byte for byte. Changed since (a
    // kubeadm upgrade rewrote it): undo only criproxy's settings and keep the rest.
    const base = backup !== undefined && sha256(current) === entry.sha256 ? backup : current;
    if (base === current) notes.push(`${entry.path} changed since install: only criproxy's endpoint is reverted in it`);
    const after = revertSettings(base, entry, record.listen);
    if (after instanceof Error) return new Error(`cannot uninstall: ${entry.path}: ${after.message}`);
    if (after !== current)
      changes.push({
        kind: "write",
        path: entry.path,
        before: current,
        after,
        mode: 0o644,
        through: linkTarget(view, entry.path),
      });
    if (backup !== undefined) {
      changes.push({ kind: "remove", path: entry.backup });
      removed.add(entry.backup);
    }
  }
  for (const path of record.created) {
    if (view.read(path) === undefined && view.readlink(path) === undefined) continue;
    const text = path !== BINARY_PATH && view.readlink(path) === undefined ? view.read(path) : undefined;
    changes.push({ kind: "remove", path, before: text });
    removed.add(path);
  }
  // Deepest first; a directory that holds anything install did not put there stays.
  for (const dir of [...record.createdDirs].sort((a, b) => b.length - a.length)) {
    const names = view.list(dir);
    if (names === undefined) continue;
    const left = names.filter((n) => !removed.has(`${dir}/${n}`));
    if (left.length > 0) {
      notes.push(`${dir} is kept: it holds ${left.join(", ")}`);
      continue;
    }
    changes.push({ kind: "rmdir", path: dir });
    removed.add(dir);
  }
  const systemctl = [["daemon-reload"], ["restart", "kubelet.service"], ["stop", "criproxy.service"]];
  // Journaled like install: a run killed at any step is finished by the next (the record may be gone by then).
  return {
    changes: journaled(view, changes, { pending: "uninstall", record }),
    systemctl: changes.length > 0 ? systemctl : [],
    notes,
  };
}
