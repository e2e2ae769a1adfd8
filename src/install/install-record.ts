// /opt/criproxy/install.json: what `criproxy install` changed, so that `uninstall` (and the next
// install) knows the original endpoint and undoes exactly that.
import type { HostView } from "./host-view.ts";
import type { EndpointSetting } from "./kubelet-layout.ts";
import { RECORD_PATH } from "./paths.ts";

/** One kubelet file install edited. */
export interface EditedFile {
  path: string;
  backup: string;
  /** sha256 of the file as install wrote it: if it still matches, the backup is restored as is. */
  sha256: string;
  /** The settings changed, with their original values (null: install added the field). */
  settings: { mechanism: EndpointSetting["mechanism"]; name: string; original: string | null }[];
}

export interface InstallRecord {
  version: 1;
  /** The runtime kubelet used before install: the proxy's primary, and uninstall's target. */
  primary: string;
  listen: string;
  edited: EditedFile[];
  /** Files install created (removed by uninstall). */
  created: string[];
  /** Directories install created (removed by uninstall when empty). */
  createdDirs: string[];
}

/** The record as written on the host (stable key order, trailing newline). */
export function formatRecord(r: InstallRecord): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** The host's install record, undefined when absent, or an error when unreadable. */
export function readRecord(view: HostView): InstallRecord | undefined | Error {
  const text = view.read(RECORD_PATH);
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as InstallRecord;
    if (r.version !== 1 || typeof r.primary !== "string" || !Array.isArray(r.edited)) throw new Error("unknown format");
    return r;
  } catch (e) {
    return new Error(`${RECORD_PATH} is not a criproxy install record: ${(e as Error).message}`);
  }
}
