#!/usr/bin/env bash
# critest v1.29.0 against Debian's containerd, directly and through criproxy; every run is compared
# spec by spec with the direct run (compare-critest.ts). Root; see README "Development".
#
# usage: test/conformance/critest.sh [RUN...]      (default: all runs, in this order)
#   direct            critest -> containerd a
#   proxy-a           critest -> criproxy --connect a
#   proxy-ab          critest -> criproxy --connect a,alt:b --runtime-handler alt=alt (pods on a)
#   handler-v1        the same, critest --runtime-handler alt: every pod on b
#   handler-v1alpha2  as handler-v1, criproxy speaking CRI v1alpha2 to b (alt:B?api=v1alpha2)
# direct always runs (it is the baseline). Each run has its own instance (lib/instance.sh), so runs
# proceed CRITEST_JOBS at a time (default 2). Expected differences: expected-failures.json.
# Ends with "N passed, N failed, N skipped" (specs; see compare-critest.ts); exit 1 on any failure.
# KEEP=1 keeps the work dir (logs, critest reports) even when everything passed. BASELINE=DIR uses
# DIR/report.json (a kept direct run) instead of running direct again.
set -uo pipefail
. "$(dirname "$0")/lib/prepare.sh"
. "$HERE/lib/instance.sh"
ALL="direct proxy-a proxy-ab handler-v1 handler-v1alpha2"
RUNS=${*:-$ALL}
for r in $RUNS; do case " $ALL " in *" $r "*) ;; *) echo "unknown run $r (runs: $ALL)"; exit 2 ;; esac; done
case " $RUNS " in *" direct "*) ;; *) RUNS="direct $RUNS" ;; esac
check_deps critest

JOB=$(job_dir critest) || exit 1
T0=$(date +%s)
echo "critest: work dir $JOB"
unpack "$JOB/bin" critest crictl || exit 1
CRICTL=$JOB/bin/crictl
build_images "$JOB/img" || { echo "building the stand-in images failed"; exit 1; }
: > "$JOB/none.yaml"   # critest reads no /etc/crictl.yaml
A=unix:///run/inst/a/containerd.sock B=unix:///run/inst/b/containerd.sock P=unix:///run/inst/proxy.sock

run_one() {
  local n=$1 W=$JOB/$1 ep=$P two="" flags=() proxy=()
  case $n in
    direct) ep=$A ;;
    proxy-a) proxy=(--connect $A) ;;
    proxy-ab) two=1; proxy=(--connect $A,alt:$B --runtime-handler alt=alt) ;;
    handler-v1) two=1; proxy=(--connect $A,alt:$B --runtime-handler alt=alt); flags=(--runtime-handler alt) ;;
    handler-v1alpha2) two=1; proxy=(--connect "$A,alt:$B?api=v1alpha2" --runtime-handler alt=alt); flags=(--runtime-handler alt) ;;
  esac
  local s; s=$(date +%s.%N)
  mkdir -p "$W/tmp" "$W/logs"
  {
    inst_up "$W" &&
    inst_bg "$W" registry python3 "$HERE/images/registry.py" "$JOB/img/registry" 5731 &&
    wait_for "registry" 10 inst_run "$W" curl -sf http://127.0.0.1:5731/v2/ &&
    ctd_up "$W" a mirror && { [ -z "$two" ] || ctd_up "$W" b mirror; } &&
    { [ -z "${proxy[*]}" ] || proxy_up "$W" criproxy "${proxy[@]}" -v 2; } &&
    inst_run "$W" env TMPDIR="$W/tmp" "$JOB/bin/critest" --runtime-endpoint "$ep" --image-endpoint "$ep" \
      --config "$JOB/none.yaml" --ginkgo.seed=1 --ginkgo.no-color --ginkgo.v --ginkgo.timeout=30m \
      --ginkgo.json-report="$W/report.json" "${flags[@]}" > "$W/logs/critest.log" 2>&1
  } >> "$W/logs/setup.log" 2>&1
  inst_down "$W" >> "$W/logs/setup.log" 2>&1
  cpu_seconds "$W" > "$W/cpu"; cg_remove "$W"
  rm -rf "$W/a" "$W/b" "$W/tmp"
  printf '%.1f\n' "$(echo "$(date +%s.%N) - $s" | bc)" > "$W/wall"
  echo "critest run $n done in $(cat "$W/wall") s, $(cat "$W/cpu") CPU s$([ -s "$W/report.json" ] || echo " (no report: see $W/logs)")"
}

trap 'for r in $RUNS; do inst_down "$JOB/$r" >/dev/null 2>&1; cg_remove "$JOB/$r"; done' EXIT
JOBS=${CRITEST_JOBS:-2}
if [ -n "${BASELINE:-}" ]; then
  mkdir -p "$JOB/direct" && cp "$BASELINE/report.json" "$JOB/direct/" && echo "(baseline) $BASELINE" > "$JOB/direct/wall" || exit 1
fi
for r in $RUNS; do
  [ "$r" = direct ] && [ -n "${BASELINE:-}" ] && continue
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
  run_one "$r" &
done
wait
bun "$HERE/compare-critest.ts" "$JOB" $RUNS
rc=$?
echo "critest: $(( $(date +%s) - T0 )) s in all (images, $(echo $RUNS | wc -w) runs, ${JOBS} at a time; load average $(cut -d" " -f1-3 /proc/loadavg))"
if [ $rc = 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$JOB"; else echo "critest: logs and reports kept in $JOB"; fi
exit $rc
