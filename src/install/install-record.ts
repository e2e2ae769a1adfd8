// /opt/criproxy/install.json: what `criproxy install` changed, so that `uninstall` (and the next
// install) knows the original endpoint and undoes exactly that. Anyone who can write the record
// could steer uninstall (running as root), so it is read against a schema and an allow-list:
// it may name only what install itself creates, backups under the backup directory, and
// kubelet's own settings. Anything else refuses the whole record: nothing is touched.
import type { HostView } from "./host-view.ts";
import type { Change } from "./plan.ts";
import { ENDPOINT_NAMES, type EndpointSetting } from "./kubelet-layout.ts";
import { backupPath, BACKUP_DIR, BINARY_PATH, JOURNAL_PATH, RECORD_PATH, UNIT_PATH, UNIT_WANTS_LINK } from "./paths.ts";
import { checkEndpointValue, checkSocketPath, pathProblem } from "./unit-value.ts";

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

/** The only files install creates. */
const CREATED_FILES = [BINARY_PATH, UNIT_PATH, UNIT_WANTS_LINK, RECORD_PATH];

/** The directories install may create outside the backup tree (a node always has /etc/systemd/system). */
const CREATED_DIRS = ["/opt", "/opt/criproxy", "/opt/criproxy/bin", "/etc/systemd/system/multi-user.target.wants"];

/** True for a directory install may create: one of CREATED_DIRS, or in the backup tree. */
export function mayCreateDir(dir: string): boolean {
  if (pathProblem(dir) !== undefined) return false;
  return CREATED_DIRS.includes(dir) || dir === BACKUP_DIR || dir.startsWith(`${BACKUP_DIR}/`);
}

/** The record as written on the host (stable key order, trailing newline). */
export function formatRecord(r: InstallRecord): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Throws unless `o` has exactly `keys`. */
function exactKeys(o: Record<string, unknown>, keys: string[], at: string): void {
  for (const k of keys) if (!(k in o)) throw new Error(`${at}has no "${k}"`);
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Error(`${at}has an unknown key "${k}"`);
}

/** Throws unless `v` is a list of strings. */
function strings(v: unknown, at: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw new Error(`"${at}" is not a list of paths`);
  return v as string[];
}

/** Checks one `edited` entry: a normal path, its backup where install puts it, kubelet's own endpoint settings. */
function checkEdited(e: unknown, i: number): EditedFile {
  const at = `edited[${i}] `;
  if (!isObject(e)) throw new Error(`${at}is not an object`);
  exactKeys(e, ["path", "backup", "sha256", "settings"], at);
  const { path, backup, sha256, settings } = e;
  if (typeof path !== "string" || pathProblem(path) !== undefined)
    throw new Error(`${at}path ${JSON.stringify(path)} is not a normal absolute path`);
  if (path === RECORD_PATH || path.startsWith("/opt/criproxy/"))
    throw new Error(`${at}path ${path} is criproxy's own file, not kubelet's`);
  if (backup !== backupPath(path))
    throw new Error(
      `${at}backup ${JSON.stringify(backup)} is not ${backupPath(path)}: backups live under ${BACKUP_DIR} only`,
    );
  if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${at}sha256 is not a hex sha256`);
  if (!Array.isArray(settings) || settings.length === 0) throw new Error(`${at}settings is not a non-empty list`);
  const names = Object.values(ENDPOINT_NAMES);
  settings.forEach((s, j) => {
    const sat = `${at}settings[${j}] `;
    if (!isObject(s)) throw new Error(`${sat}is not an object`);
    exactKeys(s, ["mechanism", "name", "original"], sat);
    const ok =
      s.mechanism === "flag"
        ? names.some((n) => n.flag === s.name)
        : s.mechanism === "config" && names.some((n) => n.field === s.name);
    if (!ok)
      throw new Error(
        `${sat}${JSON.stringify(s.mechanism)} ${JSON.stringify(s.name)} is not one of kubelet's endpoint settings`,
      );
    if (
      s.original !== null &&
      (typeof s.original !== "string" || checkEndpointValue("original", s.original) !== undefined)
    ) {
      throw new Error(`${sat}original ${JSON.stringify(s.original)} is not an endpoint`);
    }
  });
  return e as unknown as EditedFile;
}

/** Parses JSON text, saying so when it is not. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
}

/** Checks a record (pure); throws an error saying what is wrong. */
function parseRecord(r: unknown): InstallRecord {
  if (!isObject(r)) throw new Error("not a JSON object");
  exactKeys(r, ["version", "primary", "listen", "edited", "created", "createdDirs"], "it ");
  if (r.version !== 1) throw new Error(`version ${JSON.stringify(r.version)} is not 1`);
  if (typeof r.primary !== "string") throw new Error('"primary" is not a string');
  const bad =
    checkEndpointValue("primary", r.primary) ??
    (typeof r.listen === "string" ? checkSocketPath("listen", r.listen) : new Error('"listen" is not a string'));
  if (bad) throw bad;
  if (!Array.isArray(r.edited)) throw new Error('"edited" is not a list');
  r.edited.forEach(checkEdited);
  for (const p of strings(r.created, "created")) {
    if (!CREATED_FILES.includes(p))
      throw new Error(
        `"created" names ${JSON.stringify(p)}, which install never creates (only ${CREATED_FILES.join(", ")})`,
      );
  }
  for (const d of strings(r.createdDirs, "createdDirs")) {
    if (!mayCreateDir(d)) throw new Error(`"createdDirs" names ${JSON.stringify(d)}, which install never creates`);
  }
  return r as unknown as InstallRecord;
}

/** Why a record's kubelet files are not all files kubelet's layout names (`files`), or undefined; a file that is gone is let be. */
export function foreignEdits(record: InstallRecord, files: string[] | Error, view: HostView): string | undefined {
  for (const { path } of record.edited) {
    if (view.read(path) === undefined) continue;
    if (files instanceof Error)
      return `${RECORD_PATH} names kubelet's ${path}, but kubelet's files cannot be read to confirm it: ${files.message}; nothing was changed`;
    if (!files.includes(path))
      return `${RECORD_PATH} names ${path}, which is not one of kubelet's files (${files.join(", ")}); nothing was changed`;
  }
  return undefined;
}

/** What a run interrupted at any step left to finish: which command, and the record it was carrying out. */
export interface Journal {
  pending: "install" | "uninstall";
  record: InstallRecord;
}

/** The journal as written on the host. */
export function formatJournal(j: Journal): string {
  return `${JSON.stringify(j, null, 2)}\n`;
}

/**
 * The host's install record, undefined when absent, or an error when it is not one install
 * wrote. A journal (a run killed before it finished) holds the newest one: what that run was
 * making true, every edit in it possibly done or not yet.
 */
export function readRecord(view: HostView): InstallRecord | undefined | Error {
  const journal = view.read(JOURNAL_PATH);
  const [path, text] = journal !== undefined ? [JOURNAL_PATH, journal] : [RECORD_PATH, view.read(RECORD_PATH)];
  if (text === undefined) return undefined;
  try {
    const doc = parseJson(text);
    if (path === RECORD_PATH) return parseRecord(doc);
    if (!isObject(doc)) throw new Error("not a JSON object");
    exactKeys(doc, ["pending", "record"], "it ");
    if (doc.pending !== "install" && doc.pending !== "uninstall")
      throw new Error(`"pending" is not install or uninstall`);
    return parseRecord(doc.record);
  } catch (e) {
    return new Error(
      `${path} is not a criproxy install record criproxy can trust: ${(e as Error).message}; nothing was changed`,
    );
  }
}

/** `changes` journaled: the journal written first, removed last; a journal left by a killed run is removed even when nothing else is left to do. */
export function journaled(view: HostView, changes: Change[], journal: Journal): Change[] {
  const left = view.read(JOURNAL_PATH);
  const remove: Change = { kind: "remove", path: JOURNAL_PATH };
  if (changes.length === 0) return left === undefined ? [] : [remove];
  return [
    { kind: "write", path: JOURNAL_PATH, before: left, after: formatJournal(journal), mode: 0o600 },
    ...changes,
    remove,
  ];
}
