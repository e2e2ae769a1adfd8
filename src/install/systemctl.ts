// Runs systemctl on the host: directly on the node, or through nsenter into PID 1's
// namespaces from the DaemonSet pod (hostPID makes the host's systemd PID 1).

/** The argv that runs `systemctl ...args` on the host whose root is `hostRoot`. */
export function systemctlArgv(args: string[], hostRoot: string): string[] {
  if (hostRoot === "/") return ["systemctl", ...args];
  return ["nsenter", "--target", "1", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "systemctl", ...args];
}

/** Runs the commands in order, stopping at the first that fails. */
export function runSystemctl(commands: string[][], hostRoot: string, log: (line: string) => void): void {
  for (const args of commands) {
    const argv = systemctlArgv(args, hostRoot);
    log(`running: ${argv.join(" ")}`);
    // Looked up on the PATH in effect now (Bun.spawn reads the PATH the process started with).
    const exe = Bun.which(argv[0], { PATH: process.env.PATH ?? "" });
    if (exe === null) throw new Error(`${argv[0]} not found on PATH`);
    const r = Bun.spawnSync([exe, ...argv.slice(1)], { stdout: "inherit", stderr: "inherit", env: process.env });
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed with exit code ${r.exitCode}`);
  }
}
