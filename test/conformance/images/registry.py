#!/usr/bin/env python3
"""Tiny read-only Docker registry v2 (pull API only) over plain HTTP.

Serves ROOT (index.json: "HOST/REPO:TAG" -> manifest digest; blobs/sha256/<hex>).
GET /v2/ ; GET|HEAD /v2/<name>/manifests/<tag|digest> ; GET|HEAD /v2/<name>/blobs/<digest>.
<name> is the repository path without the host (what containerd sends to a mirror); when the
request carries ?ns=HOST it is used to pick the host, otherwise the path must be unique.
Usage: registry.py ROOT [PORT]   (binds 127.0.0.1; PORT defaults to 5731). From ../shared/conformance/critest.
"""
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ROOT = sys.argv[1]
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 5731
MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
LOCK = threading.Lock()


def load_index():
    with open(os.path.join(ROOT, "index.json")) as f:
        idx = json.load(f)
    repos = {}  # (host, repo) -> {tag: digest}
    for ref, dg in idx.items():
        host, rest = ref.split("/", 1)
        repo, tag = rest.rsplit(":", 1)
        repos.setdefault((host, repo), {})[tag] = dg
    return repos


def blob_path(dg):
    m = re.fullmatch(r"sha256:([0-9a-f]{64})", dg)
    return os.path.join(ROOT, "blobs", "sha256", m.group(1)) if m else None


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ct-registry/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
        sys.stderr.flush()

    def send(self, code, body=b"", ctype="application/json", digest=None, head=False):
        self.send_response(code)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if digest:
            self.send_header("Docker-Content-Digest", digest)
            self.send_header("Etag", '"%s"' % digest)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def err(self, code, what, msg, head):
        body = json.dumps({"errors": [{"code": what, "message": msg}]}).encode()
        self.send(code, body, head=head)

    def handle_req(self, head):
        u = urlparse(self.path)
        ns = parse_qs(u.query).get("ns", [None])[0]
        if u.path in ("/v2", "/v2/"):
            return self.send(200, b"{}", head=head)
        m = re.fullmatch(r"/v2/(.+)/(manifests|blobs)/([^/]+)", u.path)
        if not m:
            return self.err(404, "NOT_FOUND", "not found", head)
        name, kind, ref = m.groups()
        repos = load_index()
        cands = [(h, r) for (h, r) in repos if r == name and (ns is None or h == ns)]
        if len(cands) != 1:
            return self.err(404, "NAME_UNKNOWN", "repository %s (ns=%s) unknown" % (name, ns), head)
        tags = repos[cands[0]]
        if kind == "manifests":
            dg = ref if ref.startswith("sha256:") else tags.get(ref)
            if dg is None or (ref.startswith("sha256:") and ref not in tags.values()):
                return self.err(404, "MANIFEST_UNKNOWN", "manifest %s:%s unknown" % (name, ref), head)
            p = blob_path(dg)
            if not p or not os.path.exists(p):
                return self.err(404, "MANIFEST_UNKNOWN", "manifest blob missing", head)
            with open(p, "rb") as f:
                body = f.read()
            return self.send(200, body, MT_MANIFEST, dg, head)
        p = blob_path(ref)
        if not p or not os.path.exists(p):
            return self.err(404, "BLOB_UNKNOWN", "blob %s unknown" % ref, head)
        with open(p, "rb") as f:
            body = f.read()
        return self.send(200, body, "application/octet-stream", ref, head)

    def do_GET(self):
        self.handle_req(False)

    def do_HEAD(self):
        self.handle_req(True)


if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", PORT), H)
    srv.daemon_threads = True
    sys.stderr.write("registry serving %s on 127.0.0.1:%d\n" % (ROOT, PORT))
    sys.stderr.flush()
    srv.serve_forever()
