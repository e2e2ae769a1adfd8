#!/usr/bin/env bash
# A real kubelet (v1.26.15, standalone, static pods) on criproxy's default flags, in front of two
# containerds (a: primary, b: runtime "alt"), in a private instance (lib/instance.sh). Root; see
# README "Development". Every check says what kubelet (its /pods), crictl 1.26 or a runtime saw.
#
# usage: test/conformance/kubelet.sh [SCENARIO...]   (default: all, in this order)
#   start         plain (primary) and special (annotated, alt/ image) Running; crictl 1.26 through criproxy
#   restart       criproxy SIGTERMed and started again: pods untouched (same ids, restarts 0)
#   runtime-kill  containerd b SIGKILLed for $OUTAGE s: kubelet keeps both pods, crictl names the runtime; b back: same ids
#   image-user    bare image name, named runtime: the image's USER reaches the pod; runAsNonRoot refused on a USER 0 image
#   cold-start    node reboot, b absent for $OUTAGE s while kubelet starts (chicken-and-egg): special runs once b is up
# "start" always runs first. OUTAGE (default 20 s) spans two of kubelet's pod resyncs (syncFrequency
# 10s here) and twenty PLEG relists (1 s). Expected failures: expected-failures.json.
# Ends with "N passed, N failed, N skipped" (checks); exit 1 on any failure. KEEP=1 keeps the work dir.
set -uo pipefail
. "$(dirname "$0")/lib/prepare.sh"
. "$HERE/lib/instance.sh"
ALL="start restart runtime-kill image-user cold-start"
SCEN=${*:-$ALL}
for s in $SCEN; do case " $ALL " in *" $s "*) ;; *) echo "unknown scenario $s (scenarios: $ALL)"; exit 2 ;; esac; done
case " $SCEN " in *" start "*) ;; *) SCEN="start $SCEN" ;; esac
OUTAGE=${OUTAGE:-20}
check_deps kubelet

JOB=$(job_dir kubelet) || exit 1
W=$JOB/node T0=$(date +%s)
echo "kubelet: work dir $JOB"
unpack "$JOB/bin" kubelet crictl || exit 1
CRICTL=$JOB/bin/crictl
build_images "$JOB/img" >/dev/null || { echo "building the images failed"; exit 1; }
EXPECTED=$(bun "$HERE/expected.ts" kubelet)
A=unix:///run/inst/a/containerd.sock B=unix:///run/inst/b/containerd.sock
PASS=0 FAIL=0 SKIP=0

# check NAME CODE: one counted check (CODE is bash, run in a subshell); a failure listed in
# expected-failures.json is counted skipped
check() {
  local name=$1 out rc
  out=$(eval "$2" 2>&1); rc=$?
  if grep -qxF "$name" <<<"$EXPECTED"; then
    if [ $rc = 0 ]; then echo "  XPASS $name (listed in expected-failures.json: remove it)"; PASS=$((PASS + 1))
    else echo "  xfail $name${out:+: $out}"; SKIP=$((SKIP + 1)); fi
  elif [ $rc = 0 ]; then echo "  ok    $name${out:+ ($out)}"; PASS=$((PASS + 1))
  else echo "  FAIL  $name${out:+: $out}"; FAIL=$((FAIL + 1)); fi
}
pods() { inst_run "$W" curl -s -m 5 http://127.0.0.1:10355/pods | bun "$HERE/kubelet/pods.ts"; }
pod() { pods | grep "^$1-kl-node "; }
cc() { inst_run "$W" timeout 60 "$CRICTL" --config "$W/crictl.yaml" "$@"; }
running() { pod "$1" | grep -q "phase=Running ready=true restarts=0 id=containerd://" || { pod "$1"; return 1; }; }
both_running() { running plain && running special; }
id_of() { pod "$1" | grep -o 'id=containerd://[^ ]*' | cut -d/ -f3; }
alt_ready() { inst_run "$W" curl -s -m 2 http://127.0.0.1:19102/metrics | grep -qE '^criproxy_backend_ready\{backend="alt"[^}]*\} 1$'; }
# holds SECS CMD...: CMD true at every 1 s sample for SECS seconds (what kubelet keeps seeing)
holds() {
  local s=$1; shift; local end=$(( $(date +%s) + s ))
  while [ "$(date +%s)" -lt "$end" ]; do "$@" >/dev/null 2>&1 || { "$@"; echo "at $(( s - end + $(date +%s) )) s"; return 1; }; sleep 1; done
}
same_ids() { [ "$(id_of plain) $(id_of special)" = "$IDS" ] || { echo "ids were $IDS, now $(id_of plain) $(id_of special)"; return 1; }; }
start_proxy() { proxy_up "$W" criproxy --connect "$A,alt:$B" --metrics-addr 127.0.0.1:19102; }
start_kubelet() {
  inst_bg "$W" kubelet "$JOB/bin/kubelet" --config "$W/kubelet-config.yaml" --container-runtime-endpoint unix:///run/inst/proxy.sock \
    --root-dir "$W/kubelet" --hostname-override kl-node --node-ip 192.0.2.10 -v 2
}
import_images() { # import_images a|b NAME...
  local i=$1 n; shift
  for n in "$@"; do inst_run "$W" ctr -n k8s.io --address "/run/inst/$i/containerd.sock" images import "$JOB/img/registry/oci/$n.tar" >/dev/null || return 1; done
}

sc_start() {
  echo "== start"
  mkdir -p "$W/manifests" "$W/kubelet"
  sed "s|@W@|$W|g" "$HERE/kubelet/kubelet-config.yaml" > "$W/kubelet-config.yaml"
  printf 'runtime-endpoint: unix:///run/inst/proxy.sock\nimage-endpoint: unix:///run/inst/proxy.sock\ntimeout: 30\n' > "$W/crictl.yaml"
  cp "$HERE/kubelet/plain.yaml" "$HERE/kubelet/special.yaml" "$W/manifests/"
  inst_up "$W" kubelet && ctd_up "$W" a && ctd_up "$W" b &&
    import_images a pause_3.9 busybox_latest && import_images b pause_3.9 busybox_latest &&
    start_proxy && start_kubelet || { echo "  FAIL  start: the node did not come up (logs in $W/logs)"; FAIL=$((FAIL + 1)); return 1; }
  wait_for "both pods Running" 120 both_running
  check "start: plain Running on the primary, restarts 0" 'running plain && ! pod plain | grep -q alt__'
  check "start: special Running on alt (id alt__...), restarts 0" 'running special && pod special | grep -q id=containerd://alt__'
  local sid; sid=$(id_of special); sid=${sid#alt__}
  check "start: special's container is a task of containerd b" 'inst_run "$W" ctr -n k8s.io --address /run/inst/b/containerd.sock tasks ls | grep -q "^$sid"'
  check "start: crictl pods lists both" 'out=$(cc pods 2>&1); grep -q plain-kl-node <<<"$out" && grep -q special-kl-node <<<"$out" || { echo "$out"; false; }'
  check "start: crictl ps lists both containers running" '[ "$(cc ps -q --state running | wc -l)" = 2 ]'
  check "start: crictl images" 'cc images | grep -q busybox'
  check "start: crictl inspect special" 'cc inspect "$(id_of special)" | grep -q "\"state\": \"CONTAINER_RUNNING\""'
  check "start: crictl exec in special" '[ "$(cc exec "$(id_of special)" echo hi)" = hi ]'
  check "start: crictl logs of special" 'cc logs "$(id_of special)" 2>&1 | grep -q "hello from special"'
  check "start: crictl stats" 'cc stats | grep -q "$(id_of special | cut -c1-13)"'
  IDS="$(id_of plain) $(id_of special)"
}

sc_restart() {
  echo "== restart: criproxy SIGTERMed, started again 2 s later"
  inst_kill "$W" criproxy TERM; sleep 2; start_proxy
  check "restart: kubelet keeps both pods Running, restarts 0, for 15 s" 'holds 15 both_running'
  check "restart: same container ids" same_ids
}

sc_runtime_kill() {
  echo "== runtime-kill: containerd b SIGKILLed for $OUTAGE s (its shims stay)"
  local spod; spod=$(cc pods -q --name special-kl-node --state ready | head -1)
  inst_kill "$W" containerd-b KILL
  local t=$(date +%s)
  check "runtime-kill: crictl inspectp on the alt pod fails naming runtime alt" '! out=$(cc inspectp "$spod" 2>&1) && echo "$out" | grep -q "runtime alt" || echo "$out"'
  check "runtime-kill: crictl exec in plain still works" '[ "$(cc exec "$(id_of plain)" echo hi)" = hi ]'
  check "runtime-kill: kubelet keeps both pods Running, restarts 0, during the outage" 'holds $(( OUTAGE - ($(date +%s) - t) )) both_running'
  ctd_up "$W" b
  check "runtime-kill: criproxy sees alt ready again" 'wait_for "alt ready" 30 alt_ready'
  check "runtime-kill: both pods Running, restarts 0, 10 s after" 'holds 10 both_running'
  check "runtime-kill: same container ids" same_ids
  check "runtime-kill: crictl exec in special works again" '[ "$(cc exec "$(id_of special)" echo hi)" = hi ]'
}

sc_image_user() {
  echo "== image-user: images only on b, bare names, pods annotated for alt"
  import_images b busybox-nobody_latest busybox-root_latest
  cp "$HERE/kubelet/user-bare.yaml" "$HERE/kubelet/user-prefixed.yaml" "$HERE/kubelet/nonroot-refused.yaml" "$W/manifests/"
  refused() { pod nonroot-refused | grep -q "waiting=CreateContainerConfigError message=.*runAsNonRoot" || { pod nonroot-refused; return 1; }; }
  users_up() { running user-bare && running user-prefixed && refused; }
  wait_for "user pods" 120 users_up
  uid() { cc logs "$(id_of "user-$1")" 2>&1 | grep -o 'uid=[0-9]*'; }
  check "image-user: user-prefixed runs as its image's USER 65534" 'uid prefixed | grep -qx uid=65534 || { uid prefixed; false; }'
  check "image-user: user-bare (bare name) runs on alt" 'running user-bare && pod user-bare | grep -q id=containerd://alt__'
  check "image-user: user-bare runs as its image's USER 65534" 'uid bare | grep -qx uid=65534 || { uid bare; false; }'
  check "image-user: runAsNonRoot pod on a USER 0 image refused (CreateContainerConfigError)" refused
  rm -f "$W/manifests/user-bare.yaml" "$W/manifests/user-prefixed.yaml" "$W/manifests/nonroot-refused.yaml"
  users_gone() { ! pods | grep -qE '^(user-|nonroot)'; }
  wait_for "user pods gone" 60 users_gone
}

sc_cold_start() {
  echo "== cold-start: node reboot; a, criproxy and kubelet start while b is absent for $OUTAGE s"
  inst_kill "$W" kubelet TERM
  cc rmp -a -f >/dev/null 2>&1
  inst_kill "$W" criproxy TERM; inst_kill "$W" containerd-a TERM; inst_kill "$W" containerd-b TERM
  ctd_up "$W" a && start_proxy && start_kubelet
  local t=$(date +%s)
  plain_up() { pod plain | grep -q "phase=Running ready=true"; }
  check "cold-start: plain Running while b is absent" 'wait_for "plain Running" 60 plain_up'
  notrunning() { pod special | grep -q "phase=Pending" || { pod special; echo "(kubelet shows no pending special)"; return 1; }; }
  check "cold-start: special not Running while b is absent" 'holds $(( OUTAGE - ($(date +%s) - t) )) notrunning'
  ctd_up "$W" b; t=$(date +%s)
  special_up() { pod special | grep -q "phase=Running ready=true .*id=containerd://alt__"; }
  check "cold-start: special Running once b is up" 'wait_for "special Running" 120 special_up'
  echo "  (special Running $(( $(date +%s) - t )) s after b started)"
  check "cold-start: plain still Running" plain_up
}

trap 'inst_down "$W" >/dev/null 2>&1; cg_remove "$W"' EXIT
for s in $SCEN; do
  t=$(date +%s)
  "sc_${s//-/_}" || { echo "  (scenario $s could not run; the rest is skipped)"; break; }
  echo "  ($s: $(( $(date +%s) - t )) s)"
  [ "$s" != start ] || [ $FAIL = 0 ] || break
done
inst_down "$W" >/dev/null 2>&1
echo "kubelet: $(( $(date +%s) - T0 )) s in all, $(cpu_seconds "$W") CPU s in the node (load average $(cut -d' ' -f1-3 /proc/loadavg))"
cg_remove "$W"
if [ $FAIL = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$JOB"; else echo "kubelet: logs kept in $W/logs"; fi
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ $FAIL = 0 ]
