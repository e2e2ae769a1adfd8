# Sourced by critest.sh and kubelet.sh: what a job needs before its instances start.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
HERE=$ROOT/test/conformance
# the prebuilt critest, crictl and kubelet (read-only; CI has ../shared beside the checkout)
SHARED=${CONFORMANCE_SHARED:-$ROOT/../shared/conformance}
# Debian packages the jobs use (.ci/run installs them)
PACKAGES="containerd runc containernetworking-plugins iptables iproute2 util-linux gcc libc6-dev python3 xz-utils curl"

# missing_deps: one line per missing dependency, with how to get it
missing_deps() {
  [ "$(id -u)" = 0 ] || echo "root (namespaces, mounts, containerd)"
  local c
  for c in containerd runc ctr unshare nsenter ip iptables gcc python3 xz curl dpkg-deb bun; do
    command -v $c >/dev/null || echo "$c (apt-get install $PACKAGES)"
  done
  for c in bridge portmap loopback host-local; do [ -x /usr/lib/cni/$c ] || echo "/usr/lib/cni/$c (apt-get install containernetworking-plugins)"; done
  for c in critest crictl kubelet; do [ -s "$SHARED/bin/$c.xz" ] || echo "$SHARED/bin/$c.xz (set CONFORMANCE_SHARED to the conformance kit)"; done
}

# check_deps JOB: under CI=true a missing dependency fails the job; otherwise it is skipped, counted as skipped
check_deps() {
  local m; m=$(missing_deps)
  [ -z "$m" ] && return 0
  echo "$1: missing:"; echo "$m" | sed 's/^/  /'
  if [ "${CI:-}" = true ]; then echo "0 passed, 1 failed, 0 skipped"; exit 1; fi
  echo "0 passed, 0 failed, 1 skipped"; exit 0
}

# unpack DIR NAME...: the prebuilt binaries into DIR, checked against SHA256SUMS
unpack() {
  local d=$1 n; shift
  mkdir -p "$d"
  for n in "$@"; do
    xz -dc "$SHARED/bin/$n.xz" > "$d/$n" && chmod +x "$d/$n"
    (cd "$d" && grep " $n\$" "$SHARED/bin/SHA256SUMS" | sha256sum -c --quiet -) || { echo "$n: checksum mismatch"; return 1; }
  done
}

# busybox_deb: Debian's dynamic busybox .deb (the images need its PATH lookups, not busybox-static's
# built-in applets): $BUSYBOX_DEB, apt's cache, or `apt-get download` into the job dir
busybox_deb() {
  local d=$1 f
  for f in ${BUSYBOX_DEB:-} /var/cache/apt/archives/busybox_*.deb; do [ -s "$f" ] && { echo "$f"; return; }; done
  (cd "$d" && apt-get download -q busybox >/dev/null 2>&1) && ls "$d"/busybox_*.deb | head -1
}

# build_images DIR: stand-in images (registry blobs + OCI tars) into DIR/registry, from Debian's busybox and our C stand-ins
build_images() {
  local d=$1 p deb
  mkdir -p "$d/bin"
  for p in pause nnp miniweb; do gcc -static -O2 -s -o "$d/bin/$p" "$HERE/images/$p.c" || return 1; done
  deb=$(busybox_deb "$d") && [ -n "$deb" ] || { echo "no busybox .deb (apt-get download busybox failed)"; return 1; }
  dpkg-deb -x "$deb" "$d/bb" || return 1
  python3 "$HERE/images/build.py" "$d/registry" "$d/bin" "$d/bb/bin/busybox" > "$d/registry-digests.txt"
}

# job_dir NAME: a fresh work dir under $TMPDIR (not under /run or /var/lib, which instances cover with tmpfs)
job_dir() {
  local d; d=$(mktemp -d "${TMPDIR:-/tmp}/criproxy-$1.XXXXXX") || return 1
  case "$(realpath "$d")/" in /run/*|/var/lib/*) echo "TMPDIR must not lie under /run or /var/lib (instances cover both): $d" >&2; rmdir "$d"; return 1 ;; esac
  echo "$d"
}
