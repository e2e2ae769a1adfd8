// What a test needs from the machine. A test whose dependency is missing is skipped
// (`test.skipIf(missing(...))`) and counted as skipped, never as passed; under CI=true a
// missing dependency fails the run instead, because CI installs everything (.ci/run).
import { existsSync } from "node:fs";

const GRPC_GO = "/usr/share/gocode/src/google.golang.org/grpc/clientconn.go";

/** Each dependency: whether it is here, and how to install it. */
const deps = {
  containerd: {
    here: () => !!Bun.which("containerd") && !!Bun.which("ctr") && !!Bun.which("runc"),
    install: "apt-get install containerd runc",
  },
  "grpc-go": {
    here: () => !!Bun.which("go") && existsSync(GRPC_GO),
    install: "apt-get install golang-go golang-google-grpc-dev",
  },
  node: { here: () => !!Bun.which("node"), install: "install Node.js (the HTTP/2 peers that reset streams run on it)" },
  gcc: { here: () => !!Bun.which("gcc"), install: "apt-get install gcc libc6-dev" },
} as const;

export type Dependency = keyof typeof deps;

const warned = new Set<string>();

/** Why `dep` is missing, with how to install it; undefined when it is here. */
export function whyMissing(dep: Dependency): string | undefined {
  const d = deps[dep];
  return d.here() ? undefined : `${dep} is not installed: ${d.install}`;
}

/** True when `dep` is missing (the caller skips, with a line saying why); throws under CI=true. */
export function missing(dep: Dependency): boolean {
  const why = whyMissing(dep);
  if (!why) return false;
  if (process.env.CI === "true") throw new Error(`CI=true requires it: ${why}`);
  if (!warned.has(dep)) console.warn(`SKIP tests that need ${why}`);
  warned.add(dep);
  return true;
}
