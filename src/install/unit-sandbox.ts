// The sandbox of criproxy.service: what systemd takes away from the proxy before it starts.
// criproxy needs little: to create its socket (and set the socket's group), to connect to the
// runtimes' Unix sockets, to read its config file, and to serve /metrics on TCP when asked.
// `systemd-analyze security` rates the result (see deploy/README.md for the score and why each
// remaining item is needed).

/** True when criproxy may give its socket a group (`--socket-group`, or a --config file that may set it). */
function mayChownSocket(serveArgs: string[]): boolean {
  return serveArgs.some((a) => /^--?(socket-group|config)(=|$)/.test(a));
}

/** The [Service] lines that sandbox criproxy listening on `listen` with `serveArgs`. */
export function unitSandbox(listen: string, serveArgs: string[]): string {
  // Measured: without CAP_CHOWN, --socket-group of a group root is not in fails with EPERM at
  // the socket's chown; nothing else criproxy does needs a capability (root owns what it opens).
  const chown = mayChownSocket(serveArgs);
  const dir = listen.slice(0, listen.lastIndexOf("/")) || "/";
  // The socket's directory is the one place criproxy writes. Under /run, systemd creates it
  // (and keeps it across restarts, so a pod that mounts it keeps seeing the socket).
  const writable = dir.startsWith("/run/")
    ? `RuntimeDirectory=${dir.slice("/run/".length)}\nRuntimeDirectoryMode=0755\nRuntimeDirectoryPreserve=yes\n`
    : `ReadWritePaths=${dir}\n`;
  return `
# Sandbox: criproxy creates its socket, connects to the runtimes' sockets and reads its config.
${writable}ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
PrivateMounts=yes
PrivateIPC=yes
RemoveIPC=yes
KeyringMode=private
UMask=0077
NoNewPrivileges=yes
${chown ? "# CAP_CHOWN: --socket-group gives the socket a group root is not a member of.\nCapabilityBoundingSet=CAP_CHOWN\n" : "CapabilityBoundingSet=\n"}AmbientCapabilities=
RestrictSUIDSGID=yes
RestrictNamespaces=yes
RestrictRealtime=yes
LockPersonality=yes
# Unix sockets for kubelet and the runtimes; TCP only for --metrics-addr.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
${chown ? "# ...but fchown() for --socket-group (in @privileged, as is every chown).\nSystemCallFilter=@chown\n" : ""}SystemCallErrorNumber=EPERM
# Not MemoryDenyWriteExecute=: Bun's JIT maps its code memory writable and executable; with
# it Bun falls back to its interpreter (about 8x slower on hot code, measured).
`;
}
