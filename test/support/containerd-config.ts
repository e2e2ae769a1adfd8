// containerd 1.6 config (version 2) that keeps every path inside one temp dir.

/** Paths a private containerd uses, all under `dir`. */
export interface ContainerdPaths {
  dir: string;
  root: string;
  state: string;
  socket: string;
}

/** The paths of a private containerd rooted at `dir`. */
export function containerdPaths(dir: string): ContainerdPaths {
  return { dir, root: `${dir}/root`, state: `${dir}/state`, socket: `${dir}/containerd.sock` };
}

/** CRI settings a test may change from the defaults below. */
export interface CriOptions {
  /** The image every pod sandbox runs (default registry.k8s.io/pause:3.9, which this machine cannot pull). */
  readonly sandboxImage?: string;
  /**
   * The sandbox asks for oom_score_adj -998, which a process without CAP_SYS_RESOURCE (a CI
   * container) may not set; runc then dies with "can't get final child's PID from pipe: EOF".
   * This makes containerd clamp the value to its own instead: pods need it on such machines.
   */
  readonly restrictOomScoreAdj?: boolean;
  /** HOST:PORT serving containerd's own /v1/metrics (grpc_server_handled_total counts calls by service); default none. */
  readonly metricsAddress?: string;
}

/** The TOML config: root, state, sockets, CRI, CNI and runc dirs all inside `p.dir`; nothing on the host. */
export function containerdConfig(p: ContainerdPaths, snapshotter: string, cri: CriOptions = {}): string {
  const q = JSON.stringify; // TOML basic strings accept JSON string escapes for plain paths
  return `version = 2
root = ${q(p.root)}
state = ${q(p.state)}
# Snapshotters we never use: skip them so startup is quick and quiet.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ${q(p.socket)}
  max_recv_message_size = 16777216
  max_send_message_size = 16777216

[ttrpc]
  address = ${q(`${p.socket}.ttrpc`)}

[debug]
  address = ${q(`${p.dir}/debug.sock`)}

[metrics]
  address = ${q(cri.metricsAddress ?? "")}

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = ${q(`${p.dir}/opt`)}
  [plugins."io.containerd.grpc.v1.cri"]
    disable_tcp_service = true
    # Port 0: the streaming server takes a free port, never the host containerd's.
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    sandbox_image = ${q(cri.sandboxImage ?? "registry.k8s.io/pause:3.9")}${cri.restrictOomScoreAdj ? "\n    restrict_oom_score_adj = true" : ""}
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = ${q(`${p.dir}/cni/bin`)}
      conf_dir = ${q(`${p.dir}/cni/net.d`)}
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = ${q(snapshotter)}
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          Root = ${q(`${p.state}/runc`)}
`;
}
