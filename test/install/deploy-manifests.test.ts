// deploy/: the manifests parse, and say what the installer needs (hostPID, host root at /host,
// privileged install --restart) with a ConfigMap that install accepts.
import { expect, test } from "bun:test";
import { parseNamedRuntimes } from "../../src/install/criproxy-unit.ts";

const load = async (f: string) => Bun.YAML.parse(await Bun.file(`deploy/${f}`).text()) as any;

test("DaemonSet: privileged installer on the host root, health container, hostPID", async () => {
  const ds = await load("daemonset.yaml");
  const pod = ds.spec.template.spec;
  expect(pod.hostPID).toBe(true);
  const [init] = pod.initContainers;
  expect(init.args).toEqual(["install", "--host-root=/host", "--restart"]);
  expect(init.securityContext.privileged).toBe(true);
  expect(init.volumeMounts).toContainEqual(expect.objectContaining({ name: "host", mountPath: "/host" }));
  expect(pod.volumes).toContainEqual({ name: "host", hostPath: { path: "/", type: "Directory" } });
  expect(pod.containers[0].args).toContain("--check");
  expect(pod.containers[0].readinessProbe.exec.command.join(" ")).not.toContain("$(");
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
  const { writeHostRoot, KUBEADM_CONFIG } = await import("./fake-host.ts");
  const root = writeHostRoot(KUBEADM_CONFIG);
  const r = Bun.spawnSync([process.execPath, "src/cli/main.ts", "install", `--host-root=${root}`, "--binary=package.json", "--dry-run"], {
    env: { ...process.env, CRIPROXY_CONNECT: "vm:/run/vm-runtime/cri.sock", CRIPROXY_SERVE_ARGS: "-v 2" },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(r.stderr.toString()).toBe("");
  expect(r.stdout.toString()).toContain("--connect unix:///var/run/containerd/containerd.sock,vm:/run/vm-runtime/cri.sock -v 2\n");
  require("node:fs").rmSync(root, { recursive: true, force: true });
});
