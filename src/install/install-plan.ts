// Plans `criproxy install`: from what the node's files say today to the changes that put
// criproxy between kubelet and its runtime. Pure: reads the host only through a HostView.
import type { HostView } from "./host-view.ts";
import { linkTarget, sha256 } from "./host-view.ts";
import { setFlag } from "./command-line-flag.ts";
import { setKubeletConfigField } from "./kubelet-config-yaml.ts";
import { detectKubeletLayout, endpointPath, ENDPOINT_NAMES, type EndpointSetting } from "./kubelet-layout.ts";
import { checkEndpoint, criproxyUnit, type NamedRuntime } from "./criproxy-unit.ts";
import {
  foreignEdits,
  formatRecord,
  journaled,
  mayCreateDir,
  readRecord,
  type EditedFile,
  type InstallRecord,
} from "./install-record.ts";
import { missingDirs, type Change, type Plan } from "./plan.ts";
import { backupPath, BINARY_PATH, DEFAULT_LISTEN, RECORD_PATH, UNIT_PATH, UNIT_WANTS_LINK } from "./paths.ts";
import { checkArgs, checkSocketPath } from "./unit-value.ts";

export interface InstallOptions {
  named: NamedRuntime[];
  /** The socket criproxy listens on (a host path); default: where it listens now, or DEFAULT_LISTEN. */
  listen?: string;
  /** The primary runtime, needed only when kubelet's files name no endpoint (kubelet's default). */
  primary?: string;
  /** The binary to install: a path on this machine and its sha256. */
  binary: { from: string; sha256: string };
  serveArgs: string[];
}

/** Where kubelet's endpoint settings go when nothing sets one: a new field in the config file. */
interface Added {
  path: string;
  kind: EndpointSetting["kind"];
}

/** Edits one kubelet file so every endpoint setting in it names `endpoint`. */
function editFile(text: string, settings: EndpointSetting[], added: Added[], endpoint: string): string | Error {
  let out = text;
  for (const s of settings) {
    const next = s.mechanism === "flag" ? setFlag(out, s.name, endpoint) : setKubeletConfigField(out, s.name, endpoint);
    if (next instanceof Error) return new Error(`${s.name} in the host's ${s.path}: ${next.message}`);
    out = next;
  }
  for (const a of added) {
    const next = setKubeletConfigField(out, ENDPOINT_NAMES[a.kind].field, endpoint);
    if (next instanceof Error) return new Error(`the host's ${a.path}: ${next.message}`);
    out = next;
  }
  return out;
}

/** The socket install uses: `--listen` when given, else the installed one, else the default; or why not. */
export function installListen(view: HostView, listen: string | undefined): string | Error {
  const record = readRecord(view);
  if (record instanceof Error) return new Error(`cannot install: ${record.message}`);
  if (listen !== undefined && record !== undefined && listen !== record.listen) {
    return new Error(
      `cannot install: criproxy is installed listening on ${record.listen}; run criproxy uninstall first to move it to --listen ${listen}`,
    );
  }
  const chosen = listen ?? record?.listen ?? DEFAULT_LISTEN;
  return checkSocketPath("--listen", chosen) ?? chosen;
}

/** The plan that installs criproxy on the host, or an error saying why it will not. */
export function planInstall(view: HostView, opts: InstallOptions): Plan | Error {
  const layout = detectKubeletLayout(view);
  if (layout instanceof Error) return new Error(`cannot install: ${layout.message}`);
  const record = readRecord(view);
  if (record instanceof Error) return new Error(`cannot install: ${record.message}`);
  const foreign = record === undefined ? undefined : foreignEdits(record, layout.files, view);
  if (foreign !== undefined) return new Error(`cannot install: ${foreign}`);
  const listen = installListen(view, opts.listen);
  if (listen instanceof Error) return listen;
  const badArgs = checkArgs("--serve-args", opts.serveArgs);
  if (badArgs) return new Error(`cannot install: ${badArgs.message}`);
  const ours = `unix://${listen}`;
  const isOurs = (e: string | undefined) => e !== undefined && endpointPath(e) === listen;
  const notes: string[] = [];

  // The primary is what kubelet uses now; once kubelet points at criproxy, the record says.
  const current = layout.effective.runtime;
  let primary: string;
  const added: Added[] = [];
  if (current === undefined) {
    if (opts.primary === undefined) {
      return new Error(
        "cannot install: kubelet's files set no container runtime endpoint (it uses its built-in default); pass --primary ENDPOINT to say which runtime that is",
      );
    }
    if (layout.configFile === undefined)
      return new Error("cannot install: kubelet sets no runtime endpoint and has no --config file to add one to");
    primary = opts.primary;
    added.push({ path: layout.configFile, kind: "runtime" });
    if (layout.effective.image === undefined) added.push({ path: layout.configFile, kind: "image" });
  } else if (isOurs(current)) {
    if (record === undefined)
      return new Error(
        `cannot install: kubelet already uses ${current} but ${RECORD_PATH} is missing, so the original runtime is unknown; pass --primary after restoring kubelet's endpoint`,
      );
    primary = record.primary;
  } else {
    if (opts.primary !== undefined && endpointPath(opts.primary) !== endpointPath(current)) {
      return new Error(`cannot install: kubelet uses ${current}, not --primary ${opts.primary}`);
    }
    primary = current;
  }
  const badPrimary = checkEndpoint(primary);
  if (badPrimary) return new Error(`cannot install: the primary runtime: ${badPrimary.message}`);
  const image = layout.effective.image;
  if (image !== undefined && !isOurs(image) && endpointPath(image) !== endpointPath(primary)) {
    return new Error(
      `cannot install: kubelet's image service (${image}) is not its runtime (${primary}); criproxy serves both from one primary`,
    );
  }
  notes.push(
    `kubelet's runtime: ${primary} (set in ${[...new Set(layout.settings.map((s) => s.path))].join(", ") || "no file: kubelet's default"})`,
  );

  const changes: Change[] = [];
  const createdDirs = new Set(record?.createdDirs ?? []);
  const created = new Set(record?.created ?? []);
  const planned = new Set<string>();
  let missing: string | undefined;
  const ensureDirs = (path: string) => {
    for (const dir of missingDirs((d) => planned.has(d) || view.list(d) !== undefined, path)) {
      // Only directories of criproxy's own (uninstall removes them again); never /etc/systemd/system.
      if (!mayCreateDir(dir)) missing ??= dir;
      changes.push({ kind: "mkdir", path: dir });
      planned.add(dir);
      createdDirs.add(dir);
    }
  };

  // 1. The binary and the unit, so criproxy can run before kubelet is pointed at it.
  const installed = view.digest(BINARY_PATH);
  if (installed !== opts.binary.sha256) {
    ensureDirs(BINARY_PATH);
    changes.push({
      kind: "copy",
      path: BINARY_PATH,
      from: opts.binary.from,
      sha256: opts.binary.sha256,
      replaces: installed !== undefined,
    });
    if (installed === undefined) created.add(BINARY_PATH);
  }
  const unit = criproxyUnit({ binary: BINARY_PATH, listen, primary, named: opts.named, serveArgs: opts.serveArgs });
  const unitBefore = view.read(UNIT_PATH);
  if (unitBefore !== undefined && record === undefined)
    return new Error(`cannot install: ${UNIT_PATH} exists and was not written by criproxy install`);
  if (unitBefore !== unit) {
    ensureDirs(UNIT_PATH);
    changes.push({ kind: "write", path: UNIT_PATH, before: unitBefore, after: unit, mode: 0o644 });
    created.add(UNIT_PATH);
  }
  if (view.readlink(UNIT_WANTS_LINK) !== UNIT_PATH) {
    ensureDirs(UNIT_WANTS_LINK);
    changes.push({ kind: "symlink", path: UNIT_WANTS_LINK, target: UNIT_PATH });
    created.add(UNIT_WANTS_LINK);
  }

  // 2. kubelet's files, each backed up first, by the mechanism that sets the endpoint today.
  const edited = new Map((record?.edited ?? []).map((e) => [e.path, e]));
  const toEdit = layout.settings.filter((s) => !isOurs(s.value));
  const paths = [...new Set([...toEdit.map((s) => s.path), ...added.map((a) => a.path)])];
  for (const path of paths) {
    const before = view.read(path)!;
    const settings = toEdit.filter((s) => s.path === path);
    const adds = added.filter((a) => a.path === path);
    const after = editFile(before, settings, adds, ours);
    if (after instanceof Error) return new Error(`cannot install: ${after.message}`);
    const backup = backupPath(path);
    ensureDirs(backup);
    changes.push({ kind: "backup", path: backup, of: path, content: before });
    changes.push({ kind: "write", path, before, after, mode: 0o644, through: linkTarget(view, path) });
    const entry: EditedFile = {
      path,
      backup,
      sha256: sha256(after),
      settings: [
        ...settings.map((s) => ({ mechanism: s.mechanism, name: s.name, original: s.value })),
        ...adds.map((a) => ({ mechanism: "config" as const, name: ENDPOINT_NAMES[a.kind].field, original: null })),
      ],
    };
    edited.set(path, entry);
  }

  // 3. The record last; the journal (written first, removed last) finishes a run killed on the way.
  created.add(RECORD_PATH);
  const next: InstallRecord = {
    version: 1,
    primary,
    listen,
    edited: [...edited.values()].sort((a, b) => a.path.localeCompare(b.path)),
    created: [...created].sort(),
    createdDirs: [...createdDirs].sort(),
  };
  const recordBefore = view.read(RECORD_PATH);
  if (recordBefore !== formatRecord(next)) {
    ensureDirs(RECORD_PATH);
    changes.push({ kind: "write", path: RECORD_PATH, before: recordBefore, after: formatRecord(next), mode: 0o644 });
  }

  if (missing !== undefined)
    return new Error(
      `cannot install: ${missing} does not exist on the host (is systemd its init system?); criproxy creates only its own directories`,
    );
  const systemctl: string[][] = [];
  const touched = (p: string) => changes.some((c) => c.path === p);
  const proxyChanged = touched(BINARY_PATH) || touched(UNIT_PATH);
  if (proxyChanged || touched(UNIT_WANTS_LINK) || paths.length > 0) systemctl.push(["daemon-reload"]);
  if (proxyChanged) systemctl.push(["restart", "criproxy.service"]);
  if (paths.length > 0) systemctl.push(["restart", "kubelet.service"]);
  return { changes: journaled(view, changes, { pending: "install", record: next }), systemctl, notes };
}
