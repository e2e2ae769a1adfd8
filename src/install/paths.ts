// Where criproxy puts itself on a node, and where kubelet's configuration may live.

/** The installed binary. */
export const BINARY_PATH = "/opt/criproxy/bin/criproxy";
/** Originals of every file install changed, under their own absolute path. */
export const BACKUP_DIR = "/opt/criproxy/backup";
/** What install did, so uninstall and the next install know the original endpoint. */
export const RECORD_PATH = "/opt/criproxy/install.json";
/**
 * While install or uninstall runs: the record of what it is doing, written (and fsynced) before
 * anything else and removed last, so a run killed at any step is finished by the next. It sits
 * in a directory neither creates nor removes (systemd ignores a file not named for a unit).
 */
export const JOURNAL_PATH = "/etc/systemd/system/.criproxy-install.pending";
/** The systemd unit that runs criproxy. */
export const UNIT_PATH = "/etc/systemd/system/criproxy.service";
/** `systemctl enable` would make this link; install makes it itself so uninstall can undo it. */
export const UNIT_WANTS_LINK = "/etc/systemd/system/multi-user.target.wants/criproxy.service";
/** The socket install makes criproxy listen on: in a directory of its own, the only one the unit may write and the one the DaemonSet's health container mounts. */
export const DEFAULT_LISTEN = "/run/criproxy/criproxy.sock";

/** kubelet's unit file, in systemd's precedence order (first found wins). */
export const KUBELET_UNITS = [
  "/etc/systemd/system/kubelet.service",
  "/run/systemd/system/kubelet.service",
  "/usr/lib/systemd/system/kubelet.service",
  "/lib/systemd/system/kubelet.service",
];
/** Directories of kubelet drop-ins; a same-named drop-in in an earlier one hides later ones. */
export const KUBELET_DROPIN_DIRS = [
  "/etc/systemd/system/kubelet.service.d",
  "/run/systemd/system/kubelet.service.d",
  "/usr/lib/systemd/system/kubelet.service.d",
  "/lib/systemd/system/kubelet.service.d",
];

/** The backup path of a host file. */
export function backupPath(path: string): string {
  return `${BACKUP_DIR}${path}`;
}
