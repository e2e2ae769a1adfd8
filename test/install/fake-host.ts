// Fake node roots for install tests: the kubelet layouts criproxy must understand (and one it
// must refuse), written into temp dirs or held in memory, and a fingerprint of a whole tree.
import { createHash } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Host path -> file text, or a symbolic link's target. */
export type Layout = Record<string, string | { link: string }>;

const KUBELET_UNIT = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`;

const KUBEADM_DROPIN = `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`;

const KUBELET_CONFIG = (extra: string) => `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
${extra}kind: KubeletConfiguration
# criproxy must keep this comment and every other byte
rotateCertificates: true
staticPodPath: /etc/kubernetes/manifests
`;

/** kubeadm before 1.27: the endpoint is a flag in kubeadm-flags.env. */
export const KUBEADM_FLAGS_ENV: Layout = {
  "/usr/lib/systemd/system/kubelet.service": KUBELET_UNIT,
  "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf": KUBEADM_DROPIN,
  "/var/lib/kubelet/config.yaml": KUBELET_CONFIG(""),
  "/var/lib/kubelet/kubeadm-flags.env":
    'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9"\n',
  "/etc/default/kubelet": "KUBELET_EXTRA_ARGS=\n",
};

/** kubeadm 1.27+: the endpoint is containerRuntimeEndpoint in /var/lib/kubelet/config.yaml. */
export const KUBEADM_CONFIG: Layout = {
  ...KUBEADM_FLAGS_ENV,
  "/var/lib/kubelet/config.yaml": KUBELET_CONFIG(
    'containerRuntimeEndpoint: "unix:///var/run/containerd/containerd.sock"  # set by kubeadm\n',
  ),
  "/var/lib/kubelet/kubeadm-flags.env":
    'KUBELET_KUBEADM_ARGS="--pod-infra-container-image=registry.k8s.io/pause:3.10"\n',
};

/** No config file: the flag sits in a hand-written drop-in's ExecStart, space-separated. */
export const FLAG_DROPIN: Layout = {
  "/etc/systemd/system/kubelet.service": KUBELET_UNIT.replace("/usr/bin/kubelet", "/usr/local/bin/kubelet"),
  "/etc/systemd/system/kubelet.service.d/20-runtime.conf": `[Service]
ExecStart=
ExecStart=/usr/local/bin/kubelet --kubeconfig=/etc/kubernetes/kubelet.conf \\
  --container-runtime-endpoint /run/crio/crio.sock \\
  --v=2
`,
};

/** Image-based nodes: kubelet's config lives in /etc, behind an absolute link where kubeadm's path is. */
export const SYMLINKED_CONFIG: Layout = {
  ...KUBEADM_CONFIG,
  "/var/lib/kubelet/config.yaml": { link: "/etc/kubernetes/kubelet/config.yaml" },
  "/etc/kubernetes/kubelet/config.yaml": KUBEADM_CONFIG["/var/lib/kubelet/config.yaml"],
};

/** The drop-in directory is a relative link into a directory the distribution manages. */
export const SYMLINKED_DROPIN_DIR: Layout = {
  "/etc/systemd/system/kubelet.service": FLAG_DROPIN["/etc/systemd/system/kubelet.service"],
  "/etc/systemd/system/kubelet.service.d": { link: "../../kubernetes/systemd/kubelet.service.d" },
  "/etc/kubernetes/systemd/kubelet.service.d/20-runtime.conf":
    FLAG_DROPIN["/etc/systemd/system/kubelet.service.d/20-runtime.conf"],
};

/** A node whose /usr is read-only (mounted so by the test), with kubelet's unit and drop-in under /etc. */
export const READONLY_USR: Layout = {
  ...FLAG_DROPIN,
  "/usr/local/bin/kubelet": "#!/bin/sh\n",
  "/usr/lib/systemd/system/containerd.service": "[Service]\nExecStart=/usr/bin/containerd\n",
};

/** The same node with the endpoint flag in the packaged unit under /usr: install cannot edit it. */
export const FLAG_IN_READONLY_USR: Layout = {
  "/etc/systemd/system/multi-user.target.wants/containerd.service": {
    link: "/usr/lib/systemd/system/containerd.service",
  },
  "/usr/lib/systemd/system/kubelet.service": `[Service]\nExecStart=/usr/bin/kubelet --container-runtime-endpoint=unix:///run/containerd/containerd.sock\n`,
  "/usr/lib/systemd/system/containerd.service": "[Service]\nExecStart=/usr/bin/containerd\n",
};

/** k3s-style: kubelet is not a systemd unit of its own, so criproxy must refuse. */
export const UNKNOWN: Layout = {
  "/etc/systemd/system/k3s.service": "[Service]\nExecStart=/usr/local/bin/k3s server\n",
  "/etc/rancher/k3s/config.yaml": "write-kubeconfig-mode: '0644'\n",
};

/** Writes a layout under a new temp dir (config.yaml private, as kubeadm makes it); returns the root. */
export function writeHostRoot(layout: Layout): string {
  const root = mkdtempSync(join(tmpdir(), "criproxy-host-"));
  for (const [path, text] of Object.entries(layout)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    if (typeof text === "object") {
      symlinkSync(text.link, join(root, path));
      continue;
    }
    writeFileSync(join(root, path), text);
    if (path.endsWith("config.yaml")) chmodSync(join(root, path), 0o600);
  }
  mkdirSync(join(root, "run"), { recursive: true });
  return root;
}

/** path -> "mode uid:gid sha256" (or "-> target") for every entry under root: equal maps mean byte-identical trees. */
export function fingerprint(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const rel = `${dir}/${name}`;
      const st = lstatSync(join(root, rel));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(join(root, rel))}`;
      else if (st.isDirectory()) {
        out[rel] = `dir ${mode}`;
        walk(rel);
      } else
        out[rel] = `${mode} ${st.uid}:${st.gid} ${createHash("sha256")
          .update(readFileSync(join(root, rel)))
          .digest("hex")}`;
    }
  };
  walk("");
  return out;
}
