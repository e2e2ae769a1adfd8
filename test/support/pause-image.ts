// A local pause image for CRI pod tests, with no registry: a static C pause binary built with
// gcc, packed as an OCI layout by our own image code, and imported into containerd under the
// name its CRI config already uses as sandbox_image, so containerd never tries to pull it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arch } from "node:process";
import { buildImageLayout } from "../../scripts/oci/layout.ts";
import { rootfsEntries } from "../../scripts/oci/rootfs.ts";

/** The sandbox_image of test/support/containerd-config.ts. */
export const PAUSE_IMAGE = "registry.k8s.io/pause:3.9";

// Like Kubernetes' pause.c: sleep until a signal, exit cleanly on INT/TERM, reap zombies.
const PAUSE_C = `#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int s) { (void)s; _exit(0); }
static void reap(int s) { (void)s; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) pause();
}
`;

/** Builds the pause image as an OCI layout tar at `out` (its config's User: `user`); throws when gcc (or static libc) is missing. */
export function buildPauseImage(out: string, name = PAUSE_IMAGE, user = "0:0"): void {
  const dir = mkdtempSync(join(tmpdir(), "criproxy-pause-"));
  try {
    writeFileSync(join(dir, "pause.c"), PAUSE_C);
    const gcc = Bun.spawnSync(["gcc", "-static", "-Os", "-s", "-o", join(dir, "pause"), join(dir, "pause.c")], {
      stderr: "pipe",
    });
    if (gcc.exitCode !== 0)
      throw new Error(`gcc -static failed (apt-get install gcc libc6-dev): ${gcc.stderr.toString()}`);
    const image = buildImageLayout({
      layer: rootfsEntries([{ src: join(dir, "pause"), dest: "/pause" }]),
      epoch: 0,
      architecture: arch === "x64" ? "amd64" : arch,
      entrypoint: ["/pause"],
      env: [],
      user,
      labels: { "org.opencontainers.image.title": "criproxy test pause" },
      name,
      tag: name.split(":").at(-1)!,
    });
    writeFileSync(out, image.tar);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds the pause image and imports it into a containerd's k8s.io namespace via its `ctr` (`user`: its config's User, e.g. "65534:65534"). */
export async function importPauseImage(
  ctr: (args: string[]) => Promise<string>,
  name = PAUSE_IMAGE,
  user = "0:0",
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "criproxy-pause-tar-"));
  try {
    const tar = join(dir, "pause-oci.tar");
    buildPauseImage(tar, name, user);
    await ctr(["-n", "k8s.io", "images", "import", tar]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
