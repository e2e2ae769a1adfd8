// deploy/: every manifest is valid against Kubernetes' schemas (kubernetes-models: the API's
// OpenAPI schemas compiled to validators); the installer keeps the privilege it needs; the
// health container has none, and mounts read-only only what `install --check` reads.
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ConfigMap, Pod } from "kubernetes-models/v1";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { RuntimeClass } from "kubernetes-models/node.k8s.io/v1";
import { parseNamedRuntimes } from "../../src/install/criproxy-unit.ts";
import { fsHostView } from "../../src/install/host-fs-view.ts";
import { sha256 } from "../../src/install/host-view.ts";
import { planInstall } from "../../src/install/install-plan.ts";
import { runInstall } from "../../src/install/run-install.ts";
import { KUBEADM_CONFIG, KUBEADM_FLAGS_ENV, writeHostRoot } from "./fake-host.ts";

const load = async (f: string) => Bun.YAML.parse(await Bun.file(`deploy/${f}`).text()) as any;
const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  "apps/v1/DaemonSet": DaemonSet,
  "v1/ConfigMap": ConfigMap,
  "v1/Pod": Pod,
  "node.k8s.io/v1/RuntimeClass": RuntimeClass,
};

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

test.each(["daemonset.yaml", "configmap.yaml", "example-runtime.yaml"])(
  "%s is valid against Kubernetes' schemas",
  async (file) => {
    const parsed = await load(file);
    for (const doc of Array.isArray(parsed) ? parsed : [parsed]) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model).toBeDefined();
      expect(() => new Model(doc).validate()).not.toThrow();
    }
  },
);

test("the schemas catch a wrong type (the validation is real)", async () => {
  const ds = await load("daemonset.yaml");
  ds.spec.template.spec.containers[0].securityContext.runAsUser = "root";
  expect(() => new DaemonSet(ds).validate()).toThrow("runAsUser must be integer");
});

test("the installer: privileged, the host root at /host, hostPID for nsenter", async () => {
  const pod = (await load("daemonset.yaml")).spec.template.spec;
  expect(pod.hostPID).toBe(true);
  const [init] = pod.initContainers;
  expect(init.args).toEqual(["install", "--host-root=/host", "--restart"]);
  expect(init.securityContext.privileged).toBe(true);
  expect(init.volumeMounts).toContainEqual(expect.objectContaining({ name: "host", mountPath: "/host" }));
  expect(pod.volumes).toContainEqual({ name: "host", hostPath: { path: "/", type: "Directory" } });
  expect(pod.automountServiceAccountToken).toBe(false);
});

test("the health container: no privilege, no capability, read-only root, RuntimeDefault seccomp", async () => {
  const health = (await load("daemonset.yaml")).spec.template.spec.containers[0];
  expect(health.args).toContain("--check");
  expect(health.readinessProbe.exec.command.join(" ")).not.toContain("$(");
  expect(health.securityContext).toMatchObject({
    privileged: false,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    seccompProfile: { type: "RuntimeDefault" },
  });
  expect(health.securityContext.capabilities.add).toBeUndefined();
});

test("the health container mounts read-only only files it reads, never the host's / or a runtime's socket directory", async () => {
  const pod = (await load("daemonset.yaml")).spec.template.spec;
  const volumes = new Map<string, any>(pod.volumes.map((v: any) => [v.name, v]));
  for (const m of pod.containers[0].volumeMounts) {
    expect(m.readOnly).toBe(true);
    const path = volumes.get(m.name).hostPath.path as string;
    expect(["/", "/etc", "/var", "/var/lib/kubelet", "/run", "/var/run", "/run/containerd"]).not.toContain(path);
    expect(m.mountPath).toBe(`/host${path}`);
  }
});

test.each([
  { name: "kubeadm config.yaml", layout: KUBEADM_CONFIG },
  { name: "kubeadm flags file", layout: KUBEADM_FLAGS_ENV },
])("on a $name node, what the health container mounts is all `install --check` needs", async ({ layout }) => {
  const root = writeHostRoot({
    ...layout,
    "/lib/systemd/system/ssh.service": "[Service]\n",
    "/etc/shadow": "root:*:1::::::\n",
  });
  roots.push(root);
  const cm = await load("configmap.yaml");
  const opts = { connect: cm.data.connect, serveArgs: cm.data["serve-args"], binary: "package.json" };
  expect(
    await runInstall({ hostRoot: root, ...opts, check: false, dryRun: false, restart: false, out: () => {} }),
  ).toBe(0);
  mkdirSync(join(root, "run/criproxy"), { recursive: true });
  // What the health container sees: only its mounts, at their mount paths under /host.
  const pod = (await load("daemonset.yaml")).spec.template.spec;
  const volumes = new Map<string, any>(pod.volumes.map((v: any) => [v.name, v]));
  const seen = `${root}-health`;
  roots.push(seen);
  for (const m of pod.containers[0].volumeMounts) {
    cpSync(join(root, volumes.get(m.name).hostPath.path), join(seen, m.mountPath.replace(/^\/host/, "")), {
      recursive: true,
      verbatimSymlinks: true,
    });
  }
  const plan = planInstall(fsHostView(seen), {
    named: parseNamedRuntimes(opts.connect) as any,
    binary: { from: opts.binary, sha256: sha256(readFileSync(opts.binary)) },
    serveArgs: opts.serveArgs.split(/\s+/),
  });
  expect(plan instanceof Error ? plan.message : plan.changes).toEqual([]);
  expect(fsHostView(seen).read("/etc/shadow")).toBeUndefined();
});

test("ConfigMap values are accepted by install", async () => {
  const cm = await load("configmap.yaml");
  expect(parseNamedRuntimes(cm.data.connect)).toEqual([{ name: "vm", endpoint: "/run/vm-runtime/cri.sock" }]);
  expect(cm.data["serve-args"]).not.toMatch(/["'\\$%;]/);
});

test("example runtime: RuntimeClass handler and annotated pod", async () => {
  const docs = await load("example-runtime.yaml");
  expect(docs.find((d: any) => d.kind === "RuntimeClass").handler).toBe("vm");
  expect(docs.some((d: any) => d.metadata.annotations?.["kubernetes.io/target-runtime"] === "vm")).toBe(true);
});

test("the CLI takes --connect from CRIPROXY_CONNECT (as the DaemonSet passes it)", async () => {
  const root = writeHostRoot(KUBEADM_CONFIG);
  roots.push(root);
  const r = Bun.spawnSync(
    [process.execPath, "src/cli/main.ts", "install", `--host-root=${root}`, "--binary=package.json", "--dry-run"],
    {
      env: { ...process.env, CRIPROXY_CONNECT: "vm:/run/vm-runtime/cri.sock", CRIPROXY_SERVE_ARGS: "-v 2" },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  expect(r.stderr.toString()).toBe("");
  expect(r.stdout.toString()).toContain(
    "--connect unix:///var/run/containerd/containerd.sock,vm:/run/vm-runtime/cri.sock -v 2\n",
  );
});

test("every container has a memory ceiling the kernel honours: requests under limits", async () => {
  const pod = (await load("daemonset.yaml")).spec.template.spec;
  const mib = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? Number.NaN);
  for (const c of [...pod.initContainers, ...pod.containers]) {
    const { requests, limits } = c.resources ?? {};
    expect({ name: c.name, limit: mib(limits?.memory) > 0 }).toEqual({ name: c.name, limit: true });
    expect(mib(requests?.memory)).toBeLessThanOrEqual(mib(limits.memory));
  }
});
