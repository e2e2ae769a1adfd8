#!/usr/bin/env python3
"""Stand-in images for critest v1.29.0 and the kubelet job, built offline (no network).

usage: build.py OUT BINDIR BUSYBOX
  OUT      gets blobs/sha256/* and index.json ("HOST/REPO:TAG" -> manifest digest), served by registry.py,
           and oci/NAME.tar (OCI layouts for `ctr images import`) for the kubelet job's images
  BINDIR   holds pause, nnp and miniweb, built from this folder's *.c (gcc -static -O2 -s)
  BUSYBOX  Debian's dynamic busybox (package busybox, `apt-get download busybox && dpkg -x`)

Every layer is a reproducible tar (sorted entries, mtime 0, uid/gid 0 unless stated), gzip with mtime 0;
configs and manifests are Docker schema2 JSON. Adapted from ../shared/conformance/critest/build-images.py.
"""
import json
import os
import subprocess
import sys

from oci import Layer, image, oci_tar, read
import oci

if len(sys.argv) != 4:
    sys.exit(__doc__)
OUT, SRC, BUSYBOX = sys.argv[1:4]
oci.init(OUT)


PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
staff:x:50:
users:x:100:
nogroup:x:65534:
"""

PGREP = r"""#!/bin/sh
# stand-in for procps pgrep (busybox-static on Debian has no pgrep applet):
# pgrep PATTERN prints the pids whose comm matches PATTERN (extended regex); exit 1 if none
[ $# -ge 1 ] || { echo "usage: pgrep PATTERN" >&2; exit 2; }
pat="$1"; rc=1
for d in /proc/[0-9]*; do
  c=$(cat "$d/comm" 2>/dev/null) || continue
  if echo "$c" | grep -qE -- "$pat"; then echo "${d#/proc/}"; rc=0; fi
done
exit $rc
"""
IPCS = r"""#!/bin/sh
# stand-in for util-linux ipcs -m (busybox-static on Debian has no ipcs applet):
# lists System V shared memory segments of this IPC namespace from /proc/sysvipc/shm
echo
echo "------ Shared Memory Segments --------"
echo "key        shmid      owner      perms      bytes      nattch     status"
tail -n +2 /proc/sysvipc/shm 2>/dev/null | while read key shmid perms size cpid lpid nattch uid rest; do
  printf "%-10s %-10s %-10s %-10s %-10s %-10s\n" "$key" "$shmid" "$uid" "$perms" "$size" "$nattch"
done
echo
"""


def busybox_layer():
    L = Layer()
    for d in ["bin", "dev", "etc", "home", "proc", "root", "sys", "usr/bin", "usr/sbin",
              "var/www", "var/spool/mail", "var/run", "run"]:
        L.dir(d)
    L.dir("tmp", 0o1777)
    L.dir("root", 0o700)
    # Debian's dynamic busybox (package "busybox", unpacked with dpkg -x into $CT_WORK/debs/bb-dyn) with
    # the host's glibc: unlike busybox-static it has no "prefer applets" shell, so `sh -c ls` looks
    # /bin/ls up in PATH as the real busybox image does (critest's MaskedPaths test relies on it).
    L.file("bin/busybox", read(BUSYBOX), 0o755)
    for lib in ["/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libresolv.so.2",
                "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"]:
        L.file(lib, read(lib), 0o755)
    L.symlink("lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    L.file("etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for a in applets:
        if a in ("busybox", "linuxrc"):
            continue
        # hard links, as in the real busybox images (a masked /bin/ls must not mask /bin/busybox)
        L.hardlink("bin/" + a, "bin/busybox")
    L.file("usr/bin/pgrep", PGREP, 0o755)
    L.file("usr/bin/ipcs", IPCS, 0o755)
    L.file("etc/passwd", PASSWD)
    L.file("etc/group", GROUP)
    L.file("etc/shadow", "".join(l.split(":")[0] + ":*:10933:0:99999:7:::\n" for l in PASSWD.splitlines()), 0o640)
    return L


PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
index = {}
bb = busybox_layer()

# pause (sandbox image of both containerds)
pl = Layer()
pl.file("pause", read(SRC + "/pause"), 0o755)
index["registry.k8s.io/pause:3.9"] = image([pl], {"Env": [PATH], "Entrypoint": ["/pause"],
                                                 "User": "65535:65535", "WorkingDir": "/"})

# default test container image
index["registry.k8s.io/e2e-test-images/busybox:1.29-2"] = image([bb], {"Env": [PATH], "Cmd": ["sh"]})

# nginx stand-in (port 80) and the host-network one (port 12003)
ng = Layer()
ng.file("usr/sbin/nginx", read(SRC + "/miniweb"), 0o755)
ng.dir("var/log/nginx")
ng.file("usr/share/nginx/html/index.html", "<html><body><h1>Welcome to nginx!</h1></body></html>\n")
for name, port in [("registry.k8s.io/e2e-test-images/nginx:1.14-2", 80),
                   ("gcr.io/k8s-staging-cri-tools/hostnet-nginx-amd64:latest", 12003)]:
    index[name] = image([bb, ng], {
        "Env": [PATH, "MINIWEB_PORT=%d" % port, "MINIWEB_PIDFILE=/var/run/nginx.pid",
                "MINIWEB_TITLE=nginx: master process nginx -g daemon off;"],
        "Cmd": ["nginx", "-g", "daemon off;"],
        "ExposedPorts": {"%d/tcp" % port: {}},
        "StopSignal": "SIGQUIT"})

# httpd stand-in: prints apache's "Command line: 'httpd -D FOREGROUND'" notice, serves port 80
hd = Layer()
hd.file("usr/local/apache2/bin/httpd", read(SRC + "/miniweb"), 0o755)
# absolute path: Debian busybox sh prefers its own httpd applet to a PATH lookup
hd.file("usr/local/apache2/bin/httpd-foreground", "#!/bin/sh\nexec /usr/local/apache2/bin/httpd -DFOREGROUND \"$@\"\n", 0o755)
index["registry.k8s.io/e2e-test-images/httpd:2.4.39-4"] = image([bb, hd], {
    "Env": ["PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HTTPD_PREFIX=/usr/local/apache2", "MINIWEB_PORT=80",
            "MINIWEB_BANNER=[core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'"],
    "Cmd": ["httpd-foreground"], "WorkingDir": "/usr/local/apache2", "ExposedPorts": {"80/tcp": {}}})

# nonewprivs: setuid-root program printing the effective uid
nn = Layer()
nn.file("usr/local/bin/nnp", read(SRC + "/nnp"), 0o4755)
index["registry.k8s.io/e2e-test-images/nonewprivs:1.3"] = image([bb, nn], {
    "Env": [PATH], "Entrypoint": ["/usr/local/bin/nnp"]})

# image-user images (cri-tools images/build: USER values)
R = "gcr.io/k8s-staging-cri-tools/"
for name, user in [("test-image-user-uid", "1002"), ("test-image-user-username", "www-data"),
                   ("test-image-user-uid-group", "1003:1004"), ("test-image-user-username-group", "www-data:1004")]:
    index[R + name + ":latest"] = image([bb], {"Env": [PATH], "Cmd": ["sh"], "User": user})

# image-predefined-group: default-user (1000) in group-defined-in-image (50000), USER 1000
pg = Layer()
pg.file("etc/passwd", PASSWD + "default-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh\n")
pg.file("etc/group", GROUP + "default-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n")
pg.dir("home/default-user", 0o755, 1000, 1000)
index[R + "test-image-predefined-group:latest"] = image([bb, pg], {"Env": [PATH], "Cmd": ["sh"], "User": "1000"})


# image-test images: busybox + an empty file named after the build arg
def test_image(fname):
    t = Layer()
    t.file(fname, b"")
    return image([bb, t], {"Env": [PATH], "Cmd": ["sh"]})


for n in ["test-image-1", "test-image-2", "test-image-3", "test-image-latest", "test-image-digest"]:
    index[R + n + ":latest"] = test_image(n)
same = test_image("same-image")
for tag in ["1", "2", "3"]:
    index[R + "test-image-tags:" + tag] = same
for tag in ["test", "all"]:
    index[R + "test-image-tag:" + tag] = test_image(tag)

# the kubelet job's images (imported with ctr, no registry): busybox as root (no USER), as 65534
# (scenario d: the image's user must reach the pod), and with an explicit USER 0 (runAsNonRoot refused)
KUBELET = {"docker.io/library/busybox:latest": None, "docker.io/library/busybox-nobody:latest": "65534:65534",
           "docker.io/library/busybox-root:latest": "0"}
for ref, user in KUBELET.items():
    cfg = {"Env": [PATH], "Cmd": ["sh"]}
    if user is not None:
        cfg["User"] = user
    index[ref] = image([bb], cfg)


os.makedirs(os.path.join(OUT, "oci"), exist_ok=True)
for ref in ["registry.k8s.io/pause:3.9"] + list(KUBELET):
    oci_tar(ref, index[ref], os.path.join(OUT, "oci", ref.split("/")[-1].replace(":", "_") + ".tar"))

with open(os.path.join(OUT, "index.json"), "w") as f:
    json.dump(index, f, indent=1, sort_keys=True)
for k in sorted(index):
    print(index[k], k)
