// Whether something answers on a socket path, and which process holds it: --listen must never
// take a live socket (a runtime's own, or another criproxy's), only a stale one a crash left.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect } from "node:net";

/** How long a connect may take before the socket counts as live (a busy holder, a full backlog). */
const ANSWER_MS = 1000;

/** Whether a process accepts connections on the Unix socket at `path` (refused or absent: no). */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (live: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(live);
    };
    // No answer in time is not proof of death: treated as live, so nothing is taken on a guess.
    const timer = setTimeout(() => done(true), ANSWER_MS);
    s.once("connect", () => done(true));
    s.once("error", (e: NodeJS.ErrnoException) => done(e.code !== "ECONNREFUSED" && e.code !== "ENOENT"));
  });
}

/** "containerd (pid 123)" for the process listening on `path`, from /proc; undefined when unknown. */
export function holderOf(path: string): string | undefined {
  try {
    // /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path"; flag 00010000 is a listening socket.
    const inodes = new Set(
      readFileSync("/proc/net/unix", "utf8")
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[7] === path && (parseInt(f[3], 16) & 0x10000) !== 0)
        .map((f) => f[6]),
    );
    if (inodes.size === 0) return undefined;
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue; // gone meanwhile, or not ours to read
      }
      for (const fd of fds) {
        let link = "";
        try {
          link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1])) return `${readFileSync(`/proc/${pid}/comm`, "utf8").trim()} (pid ${pid})`;
      }
    }
  } catch {
    // no /proc: the message says less
  }
  return undefined;
}
