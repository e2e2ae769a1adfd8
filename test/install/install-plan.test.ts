// planInstall / planUninstall against in-memory host views: no I/O.
import { describe, expect, test } from "bun:test";
import { memoryHostView } from "../../src/install/host-view.ts";
import { planInstall, type InstallOptions } from "../../src/install/install-plan.ts";
import { planUninstall } from "../../src/install/uninstall-plan.ts";
import type { Change, Plan } from "../../src/install/plan.ts";
import { JOURNAL_PATH } from "../../src/install/paths.ts";
import { FLAG_DROPIN, KUBEADM_CONFIG, KUBEADM_FLAGS_ENV, UNKNOWN, type Layout } from "./fake-host.ts";

const OPTS: InstallOptions = {
  named: [{ name: "vm", endpoint: "/run/vm-runtime/cri.sock" }],
  listen: "/run/criproxy.sock",
  binary: { from: "/usr/local/bin/criproxy", sha256: "ab".repeat(32) },
  serveArgs: [],
};

/** The layout after the plan's text changes (enough to plan again). */
function after(layout: Layout, plan: Plan): Record<string, string | { link: string }> {
  const out: Record<string, string | { link: string }> = { ...layout };
  for (const c of plan.changes as Change[]) {
    if (c.kind === "write") out[c.path] = c.after;
    if (c.kind === "backup") out[c.path] = c.content;
    // The memory view's digest is of text: stand the binary in as text with that digest's preimage unknown.
    if (c.kind === "copy") out[c.path] = "binary";
    if (c.kind === "symlink") out[c.path] = { link: c.target };
    if (c.kind === "remove") delete out[c.path];
  }
  return out;
}

const ok = (p: Plan | Error): Plan => {
  if (p instanceof Error) throw p;
  return p;
};
const written = (p: Plan) => p.changes.filter((c) => c.kind === "write").map((c) => c.path);

describe("install finds kubelet's runtime where it is set", () => {
  test.each([
    {
      desc: "kubeadm flags file",
      layout: KUBEADM_FLAGS_ENV,
      primary: "unix:///var/run/containerd/containerd.sock",
      edits: ["/var/lib/kubelet/kubeadm-flags.env"],
    },
    {
      desc: "kubeadm config.yaml",
      layout: KUBEADM_CONFIG,
      primary: "unix:///var/run/containerd/containerd.sock",
      edits: ["/var/lib/kubelet/config.yaml"],
    },
    {
      desc: "flag in a drop-in",
      layout: FLAG_DROPIN,
      primary: "/run/crio/crio.sock",
      edits: ["/etc/systemd/system/kubelet.service.d/20-runtime.conf"],
    },
  ])("$desc", ({ layout, primary, edits }) => {
    const plan = ok(planInstall(memoryHostView(layout), OPTS));
    const unit = plan.changes.find((c) => c.kind === "write" && c.path === "/etc/systemd/system/criproxy.service");
    expect(unit?.kind === "write" && unit.after).toContain(
      `ExecStart=/opt/criproxy/bin/criproxy --listen /run/criproxy.sock --connect ${primary},vm:/run/vm-runtime/cri.sock\n`,
    );
    // The journal first (what a killed run left to finish), then the changes; it is removed last.
    expect(written(plan)).toEqual([
      JOURNAL_PATH,
      "/etc/systemd/system/criproxy.service",
      ...edits,
      "/opt/criproxy/install.json",
    ]);
    expect(plan.changes.at(-1)).toEqual({ kind: "remove", path: JOURNAL_PATH });
    for (const path of edits)
      expect(plan.changes).toContainEqual(
        expect.objectContaining({ kind: "backup", of: path, path: `/opt/criproxy/backup${path}` }),
      );
    expect(plan.systemctl).toEqual([
      ["daemon-reload"],
      ["restart", "criproxy.service"],
      ["restart", "kubelet.service"],
    ]);
  });
});

describe("install is idempotent", () => {
  test.each([KUBEADM_FLAGS_ENV, KUBEADM_CONFIG, FLAG_DROPIN].map((layout, i) => ({ i, layout })))(
    "layout $i: a second plan is empty",
    ({ layout }) => {
      const first = ok(planInstall(memoryHostView(layout), OPTS));
      const installed = after(layout, first);
      const opts = {
        ...OPTS,
        binary: { ...OPTS.binary, sha256: new Bun.CryptoHasher("sha256").update("binary").digest("hex") },
      };
      const second = ok(planInstall(memoryHostView(installed as Layout), opts));
      expect(second.changes).toEqual([]);
      expect(second.systemctl).toEqual([]);
    },
  );

  test("a new named runtime changes only the unit and restarts only criproxy", () => {
    const installed = after(KUBEADM_CONFIG, ok(planInstall(memoryHostView(KUBEADM_CONFIG), OPTS)));
    const opts = {
      ...OPTS,
      named: [],
      binary: { ...OPTS.binary, sha256: new Bun.CryptoHasher("sha256").update("binary").digest("hex") },
    };
    const plan = ok(planInstall(memoryHostView(installed as Layout), opts));
    expect(written(plan)).toEqual([JOURNAL_PATH, "/etc/systemd/system/criproxy.service"]);
    expect(plan.systemctl).toEqual([["daemon-reload"], ["restart", "criproxy.service"]]);
  });
});

describe("install refuses what it does not understand", () => {
  test.each([
    { desc: "no kubelet unit (k3s)", layout: UNKNOWN, error: "no kubelet.service unit" },
    {
      desc: "no endpoint set anywhere",
      layout: { ...KUBEADM_FLAGS_ENV, "/var/lib/kubelet/kubeadm-flags.env": 'KUBELET_KUBEADM_ARGS=""\n' },
      error: "pass --primary",
    },
    {
      desc: "config file missing",
      layout: { ...KUBEADM_FLAGS_ENV, "/var/lib/kubelet/config.yaml": undefined },
      error: "does not exist",
    },
    {
      desc: "config file of another kind",
      layout: { ...KUBEADM_FLAGS_ENV, "/var/lib/kubelet/config.yaml": "kind: Pod\n" },
      error: "not KubeletConfiguration",
    },
    {
      desc: "two different flag values",
      layout: {
        ...KUBEADM_FLAGS_ENV,
        "/etc/default/kubelet": "KUBELET_EXTRA_ARGS=--container-runtime-endpoint=/run/other.sock\n",
      },
      error: "different values",
    },
    {
      desc: "image service elsewhere",
      layout: {
        ...KUBEADM_FLAGS_ENV,
        "/etc/default/kubelet": "KUBELET_EXTRA_ARGS=--image-service-endpoint=/run/img.sock\n",
      },
      error: "image service",
    },
    {
      desc: "kubelet already at the proxy, no record",
      layout: {
        ...FLAG_DROPIN,
        "/etc/systemd/system/kubelet.service.d/20-runtime.conf":
          "[Service]\nExecStart=\nExecStart=/k --container-runtime-endpoint=unix:///run/criproxy.sock\n",
      },
      error: "original runtime is unknown",
    },
  ])("$desc", ({ layout, error }) => {
    const clean = Object.fromEntries(Object.entries(layout).filter(([, v]) => v !== undefined)) as Layout;
    const plan = planInstall(memoryHostView(clean), OPTS);
    expect(plan).toBeInstanceOf(Error);
    expect((plan as Error).message).toContain(error);
  });

  test("--primary adds the field when kubelet uses its default", () => {
    const layout: Layout = { ...KUBEADM_FLAGS_ENV, "/var/lib/kubelet/kubeadm-flags.env": 'KUBELET_KUBEADM_ARGS=""\n' };
    const plan = ok(
      planInstall(memoryHostView(layout), { ...OPTS, primary: "unix:///run/containerd/containerd.sock" }),
    );
    const cfg = plan.changes.find((c) => c.path === "/var/lib/kubelet/config.yaml" && c.kind === "write");
    expect(
      cfg?.kind === "write" &&
        cfg.after.endsWith(
          "containerRuntimeEndpoint: unix:///run/criproxy.sock\nimageServiceEndpoint: unix:///run/criproxy.sock\n",
        ),
    ).toBe(true);
    const back = ok(planUninstall(memoryHostView(after(layout, plan) as Layout)));
    expect(after(after(layout, plan) as Layout, back)["/var/lib/kubelet/config.yaml"]).toBe(
      layout["/var/lib/kubelet/config.yaml"],
    );
  });
});

describe("uninstall", () => {
  test("restores each file, removes what install created", () => {
    const installed = after(KUBEADM_CONFIG, ok(planInstall(memoryHostView(KUBEADM_CONFIG), OPTS)));
    const back = after(installed as Layout, ok(planUninstall(memoryHostView(installed as Layout))));
    expect(back).toEqual(KUBEADM_CONFIG);
  });

  test("a file changed since install keeps the change, loses only criproxy's endpoint", () => {
    const installed = after(KUBEADM_CONFIG, ok(planInstall(memoryHostView(KUBEADM_CONFIG), OPTS))) as Layout;
    const cfg = "/var/lib/kubelet/config.yaml";
    installed[cfg] = `${installed[cfg]}maxPods: 200\n`;
    const back = after(installed, ok(planUninstall(memoryHostView(installed))));
    expect(back[cfg]).toBe(`${KUBEADM_CONFIG[cfg]}maxPods: 200\n`);
  });

  test("nothing installed: nothing to do", () => {
    expect(ok(planUninstall(memoryHostView(KUBEADM_CONFIG))).changes).toEqual([]);
  });
});
