# Sourced by critest.sh and kubelet.sh: one private "node" per instance, parallel-safe.
# An instance lives in its own dir $W (mktemp under $TMPDIR) and its own mount, network and PID
# namespaces: tmpfs over /run and /var/lib (containerd 1.6 hard-codes /run/containerd/s, libcni
# /var/lib/cni, kubelet /var/lib/kubelet and /var/log/pods), lo up, its own bridges and iptables.
# Every process it starts dies with it (killing the namespace's pid 1 kills them all, containers
# included), so two instances, or this and the host's own containerd, never meet.

# cg_dir W: the instance's CPU accounting cgroup (cgroup v1 cpuacct, or v2), so a job can say what
# CPU time it cost whatever else runs on the machine (containers with an absolute cgroup path are
# moved out by runc and not counted; those with a relative one, as critest gives some, are)
cg_dir() {
  if [ -d /sys/fs/cgroup/cpuacct ]; then echo "/sys/fs/cgroup/cpuacct/criproxy-conformance-${1##*/}-$(basename "$(dirname "$1")")"
  else echo "/sys/fs/cgroup/criproxy-conformance-${1##*/}-$(basename "$(dirname "$1")")"; fi
}

# cpu_seconds W: CPU time used in the instance so far (0 when cgroups are not writable)
cpu_seconds() {
  local c; c=$(cg_dir "$1")
  if [ -r "$c/cpuacct.usage" ]; then echo "$(cat "$c/cpuacct.usage") / 1000000000" | bc
  elif [ -r "$c/cpu.stat" ]; then echo "$(awk '/^usage_usec/ {print $2}' "$c/cpu.stat") / 1000000" | bc
  else echo 0; fi
}

# inst_up W [kubelet]: create the namespaces; "kubelet" also binds $W/log over /var/log, puts the
# node IP 192.0.2.10 on lo and stand-in files over the sysctls kubelet would rewrite on the host.
inst_up() {
  local W=$1 mode=${2:-}
  mkdir -p "$W/state" "$W/logs" "$W/log" "$W/sys"
  if [ "$mode" = kubelet ]; then
    for f in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes; do
      cat "/proc/sys/$f" > "$W/sys/${f//\//_}"
    done
  fi
  mkdir -p "$(cg_dir "$W")" 2>/dev/null
  W=$W MODE=$mode CG=$(cg_dir "$W") setsid unshare --mount --net --pid --fork --mount-proc --propagation private -- bash -c '
    echo 0 > "$CG/cgroup.procs" 2>/dev/null || true
    set -e
    mount -t tmpfs -o mode=755,size=512m inst-run /run
    mkdir -p /run/inst /run/netns /run/lock /run/containerd
    mount -t tmpfs -o mode=755,size=64m inst-varlib /var/lib
    mkdir -p /var/lib/cni /var/lib/kubelet
    ip link set lo up
    if [ "$MODE" = kubelet ]; then
      ip addr add 192.0.2.10/32 dev lo
      mount --bind "$W/log" /var/log
      for f in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes; do
        mount --bind "$W/sys/${f//\//_}" /proc/sys/$f
      done
    fi
    mount --make-rshared /
    touch "$W/state/ns.ready"
    exec sleep infinity
  ' </dev/null >"$W/logs/ns.log" 2>&1 &
  local u=$! i
  for i in $(seq 100); do [ -e "$W/state/ns.ready" ] && break; sleep 0.05; done
  [ -e "$W/state/ns.ready" ] || { echo "namespace of $W did not come up: $(cat "$W/logs/ns.log")"; return 1; }
  # the holder is unshare's child: pid 1 inside, this pid outside
  cat "/proc/$u/task/$u/children" | tr -d ' ' > "$W/state/ns.pid"
}

# inst_run W CMD...: run CMD inside the instance (cwd $W)
inst_run() {
  local W=$1; shift
  # cd inside: nsenter's --wd would open the dir in the host's mount namespace, where getcwd() fails
  # and join the instance's CPU accounting cgroup
  nsenter -t "$(cat "$W/state/ns.pid")" -m -n -p -- env --chdir="$W" CG="$(cg_dir "$W")" \
    sh -c 'echo 0 > "$CG/cgroup.procs" 2>/dev/null; unset CG; exec "$@"' inst "$@"
}

# inst_bg W NAME CMD...: start CMD inside, detached; its in-namespace pid goes to $W/state/NAME.pid, output to $W/logs/NAME.log
inst_bg() {
  local W=$1 n=$2; shift 2
  rm -f "$W/state/$n.pid"
  inst_run "$W" setsid sh -c 'echo $$ > "$0"; exec "$@"' "$W/state/$n.pid" "$@" </dev/null >>"$W/logs/$n.log" 2>&1 &
  local i; for i in $(seq 100); do [ -s "$W/state/$n.pid" ] && break; sleep 0.02; done
}

# inst_kill W NAME [SIG]: signal a process started by inst_bg and wait until it is gone (SIGKILL after 15 s)
inst_kill() {
  local W=$1 n=$2 sig=${3:-TERM}
  [ -s "$W/state/$n.pid" ] || return 0
  inst_run "$W" sh -c 'p=$(cat "$1"); kill -'"$sig"' $p 2>/dev/null || exit 0
    for i in $(seq 150); do kill -0 $p 2>/dev/null || exit 0; sleep 0.1; done; kill -KILL $p; sleep 0.2' kill "$W/state/$n.pid"
  rm -f "$W/state/$n.pid"
}

# inst_down W: remove the pods (so runc removes their cgroups), then kill the namespace's pid 1,
# which kills every process in it; its mounts go with it. The dir stays (logs); the caller removes it.
inst_down() {
  local W=$1 c
  [ -s "$W/state/ns.pid" ] || return 0
  local P; P=$(cat "$W/state/ns.pid")
  if kill -0 "$P" 2>/dev/null; then
    for c in "$W"/state/containerd-*.pid; do
      [ -e "$c" ] || continue
      c=${c##*/containerd-}; c=${c%.pid}
      timeout 60 inst_run "$W" "$CRICTL" --timeout 30s -r "unix:///run/inst/$c/containerd.sock" rmp -a -f >/dev/null 2>&1 || true
    done
    kill -KILL "$P"
    for c in $(seq 100); do kill -0 "$P" 2>/dev/null || break; sleep 0.05; done
  fi
  rm -f "$W/state/ns.pid"
}

# cg_remove W: remove the instance's accounting cgroup and what runc left in it. runc makes a
# relative cgroups path (critest's "test.slice:cri-containerd:ID") under its own cgroup in every
# hierarchy: under ours in cpuacct, under this script's in the others. The names found in ours
# (they hold container ids) are removed from every hierarchy too, once empty.
cg_remove() {
  local c n line ctl path i
  c=$(cg_dir "$1"); [ -d "$c" ] || return 0
  for i in $(seq 50); do [ -z "$(cat "$c/cgroup.procs" 2>/dev/null)" ] && break; sleep 0.1; done
  for n in $(find "$c" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'); do
    while IFS= read -r line; do
      ctl=${line#*:}; path=${ctl#*:}; ctl=${ctl%%:*}; ctl=${ctl#name=}
      [ -n "$ctl" ] && [ -d "/sys/fs/cgroup/$ctl$path/$n" ] && rmdir "/sys/fs/cgroup/$ctl$path/$n" 2>/dev/null
    done < /proc/self/cgroup
    rmdir "$c/$n" 2>/dev/null
  done
  rmdir "$c" 2>/dev/null || echo "cgroup $c not removed: $(find "$c" -mindepth 1 -type d | wc -l) cgroups, processes $(cat "$c/cgroup.procs" | tr '\n' ' ')"
}

# ctd_up W a|b [mirror]: write containerd X's config and CNI conf under $W/X and start it; socket
# /run/inst/X/containerd.sock. "mirror" sends every registry critest uses to the local registry.
ctd_up() {
  local W=$1 I=$2 mirror=${3:-} C="$1/$2" NET BR M="" r
  case $I in a) BR=ct0 NET=10.231 ;; b) BR=ct1 NET=10.232 ;; esac
  mkdir -p "$C/cni" "$C/root" "$C/ipam" "$C/tmp"
  cat > "$C/cni/10-ct-$I.conflist" <<JSON
{ "cniVersion": "0.4.0", "name": "ct-$I",
  "plugins": [
    { "type": "bridge", "bridge": "$BR", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$C/ipam", "ranges": [[{ "subnet": "$NET.0.0/16", "gateway": "$NET.0.1" }]],
                "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } } ] }
JSON
  if [ -n "$mirror" ]; then
    for r in docker.io registry.k8s.io k8s.gcr.io gcr.io quay.io; do
      M="$M
    [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"$r\"]
      endpoint = [\"http://127.0.0.1:5731\"]"
    done
  fi
  cat > "$C/config.toml" <<TOML
version = 2
root = "$C/root"
state = "/run/inst/$I/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "/run/inst/$I/containerd.sock"
[ttrpc]
  address = "/run/inst/$I/containerd.sock.ttrpc"
[debug]
  address = "/run/inst/$I/debug.sock"
  level = "info"
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.9"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    # no CAP_SYS_RESOURCE in this VM: runc cannot lower oom_score_adj (sandboxes ask for -998)
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "/usr/sbin/runc"
          Root = "/run/inst/$I/runc"
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$C/cni"
      max_conf_num = 1
    [plugins."io.containerd.grpc.v1.cri".registry]$M
  [plugins."io.containerd.internal.v1.opt"]
    path = "$C/root/opt"
TOML
  inst_run "$W" mkdir -p "/run/inst/$I"
  inst_bg "$W" "containerd-$I" env TMPDIR="$C/tmp" containerd --config "$C/config.toml"
  wait_for "containerd $I socket" 20 inst_run "$W" test -S "/run/inst/$I/containerd.sock"
}

# proxy_up W NAME [criproxy flags...]: start criproxy from this checkout, listening on /run/inst/proxy.sock
proxy_up() {
  local W=$1 n=$2; shift 2
  inst_run "$W" rm -f /run/inst/proxy.sock
  inst_bg "$W" "$n" bun "$ROOT/src/cli/main.ts" serve --listen /run/inst/proxy.sock "$@"
  wait_for "criproxy socket" 20 inst_run "$W" test -S /run/inst/proxy.sock
}

# wait_for WHAT SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fail naming WHAT
wait_for() {
  local what=$1 s=$2; shift 2
  local end=$(( $(date +%s) + s ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || { echo "timed out after ${s}s waiting for $what"; return 1; }
    sleep 0.1
  done
}
