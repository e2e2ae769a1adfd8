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
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

if len(sys.argv) != 4:
    sys.exit(__doc__)
OUT, SRC, BUSYBOX = sys.argv[1:4]
BLOBS = os.path.join(OUT, "blobs", "sha256")
os.makedirs(BLOBS, exist_ok=True)

MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def put_blob(b):
    d = sha(b)
    p = os.path.join(BLOBS, d.split(":", 1)[1])
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(b)
    return d


def read(p):
    with open(p, "rb") as f:
        return f.read()


class Layer:
    """entries: path -> (kind, mode, data_or_target, uid, gid)"""

    def __init__(self):
        self.entries = {}

    def dir(self, path, mode=0o755, uid=0, gid=0):
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            p = "/".join(parts[:i])
            self.entries.setdefault(p, ("dir", 0o755, None, 0, 0))
        self.entries[path.strip("/")] = ("dir", mode, None, uid, gid)

    def file(self, path, data, mode=0o644, uid=0, gid=0):
        path = path.strip("/")
        if "/" in path:
            parent = path.rsplit("/", 1)[0]
            if parent not in self.entries:
                self.dir(parent)
        if isinstance(data, str):
            data = data.encode()
        self.entries[path] = ("file", mode, data, uid, gid)

    def hardlink(self, path, target):
        path = path.strip("/")
        self.entries[path] = ("hardlink", 0o755, target.strip("/"), 0, 0)

    def symlink(self, path, target):
        path = path.strip("/")
        if "/" in path:
            parent = path.rsplit("/", 1)[0]
            if parent not in self.entries:
                self.dir(parent)
        self.entries[path] = ("symlink", 0o777, target, 0, 0)

    def tar(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            # hard links after everything else, so their targets exist when they are extracted
            for path in sorted(self.entries, key=lambda p: (self.entries[p][0] == "hardlink", p.split("/"))):
                kind, mode, data, uid, gid = self.entries[path]
                ti = tarfile.TarInfo(path)
                ti.mtime = 0
                ti.mode = mode
                ti.uid, ti.gid = uid, gid
                ti.uname = ti.gname = ""
                if kind == "dir":
                    ti.type = tarfile.DIRTYPE
                    t.addfile(ti)
                elif kind == "symlink":
                    ti.type = tarfile.SYMTYPE
                    ti.linkname = data
                    t.addfile(ti)
                elif kind == "hardlink":
                    ti.type = tarfile.LNKTYPE
                    ti.linkname = data
                    t.addfile(ti)
                else:
                    ti.size = len(data)
                    t.addfile(ti, io.BytesIO(data))
        return buf.getvalue()

    def blob(self):
        raw = self.tar()
        gz = gzip.compress(raw, compresslevel=6, mtime=0)
        return put_blob(gz), len(gz), sha(raw)


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


def image(layers, cfg):
    """layers: list of Layer; cfg: container config dict. Returns manifest digest."""
    descs, diff_ids = [], []
    for L in layers:
        d, size, diff = L.blob()
        descs.append({"mediaType": MT_LAYER, "size": size, "digest": d})
        diff_ids.append(diff)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "criproxy critest stand-in"}
                    for _ in layers],
    }
    cb = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    cd = put_blob(cb)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "size": len(cb), "digest": cd},
        "layers": descs,
    }
    mb = json.dumps(manifest, sort_keys=True, indent=3).encode()
    return put_blob(mb)


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


def oci_tar(ref, out):
    """One image of the index as an OCI layout tar that `ctr images import` names `ref`."""
    mdg = index[ref]
    man = read(os.path.join(BLOBS, mdg.split(":", 1)[1]))
    m = json.loads(man)
    digests = [mdg, m["config"]["digest"]] + [l["digest"] for l in m["layers"]]
    idx = {"schemaVersion": 2, "manifests": [{"mediaType": MT_MANIFEST, "digest": mdg, "size": len(man),
                                              "annotations": {"io.containerd.image.name": ref}}]}
    with tarfile.open(out, "w") as t:
        def add(path, data):
            ti = tarfile.TarInfo(path)
            ti.size, ti.mtime, ti.mode = len(data), 0, 0o644
            t.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", json.dumps(idx).encode())
        for d in digests:
            h = d.split(":", 1)[1]
            add("blobs/sha256/" + h, read(os.path.join(BLOBS, h)))


os.makedirs(os.path.join(OUT, "oci"), exist_ok=True)
for ref in ["registry.k8s.io/pause:3.9"] + list(KUBELET):
    oci_tar(ref, os.path.join(OUT, "oci", ref.split("/")[-1].replace(":", "_") + ".tar"))

with open(os.path.join(OUT, "index.json"), "w") as f:
    json.dump(index, f, indent=1, sort_keys=True)
for k in sorted(index):
    print(index[k], k)
