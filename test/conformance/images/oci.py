"""Reproducible image pieces for build.py: layers as sorted tars (mtime 0), Docker schema2 configs and
manifests, blobs by sha256 in a registry dir, and OCI layout tars for `ctr images import`."""
import gzip
import hashlib
import io
import json
import os
import tarfile

BLOBS = ""  # OUT/blobs/sha256, set by init()


def init(out):
    global BLOBS
    BLOBS = os.path.join(out, "blobs", "sha256")
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


def oci_tar(ref, mdg, out):
    """The image whose manifest is `mdg` as an OCI layout tar that `ctr images import` names `ref`."""
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
