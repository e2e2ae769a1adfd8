// `bun run build`: the plain bundle dist/criproxy.js and the single executable dist/criproxy
// (host arch); with `--all-targets` or CRIPROXY_ALL_TARGETS=1 also dist/criproxy-linux-amd64
// and dist/criproxy-linux-arm64. Cross targets work offline only if bun already has the other
// runtime cached: bun fetches it from the npm registry on first use.
import { mkdir } from "node:fs/promises";
import { arch } from "node:process";

const ENTRY = "src/cli/main.ts";
const DIST = "dist";

/** The cross-compile targets: bun's target name and the file it produces. */
export const CROSS_TARGETS = [
  { target: "bun-linux-x64", outfile: `${DIST}/criproxy-linux-amd64` },
  { target: "bun-linux-arm64", outfile: `${DIST}/criproxy-linux-arm64` },
] as const;

/** How the single executable is built. */
export const COMPILE_FLAGS = ["--minify", "--bytecode", "--compile-exec-argv=--smol"];

/** Runs `bun build` with the given arguments, failing loudly with its output. */
async function bunBuild(args: string[]): Promise<void> {
  const proc = Bun.spawn([process.execPath, "build", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`bun build ${args.join(" ")} failed (${code}):\n${out}${err}`);
}

/** Builds the bundle and the host executable; with allTargets also both Linux arches. */
export async function build(opts: { allTargets: boolean }): Promise<string[]> {
  await mkdir(DIST, { recursive: true });
  const made: string[] = [];
  const timed = async (outfile: string, args: string[]) => {
    const t0 = performance.now();
    await bunBuild(args);
    const size = Bun.file(outfile).size;
    console.log(`${outfile}  ${(size / 1e6).toFixed(1)} MB  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    made.push(outfile);
  };
  await timed(`${DIST}/criproxy.js`, ["--target=bun", "--minify", ENTRY, "--outfile", `${DIST}/criproxy.js`]);
  // --bytecode: precompiled code starts in ~30 ms instead of ~60-80 (bench: startup);
  // --smol: a node agent should be small (bench: RSS after load 119 -> 87 MB when merging).
  await timed(`${DIST}/criproxy`, ["--compile", ...COMPILE_FLAGS, ENTRY, "--outfile", `${DIST}/criproxy`]);
  if (opts.allTargets) {
    for (const { target, outfile } of CROSS_TARGETS) {
      await timed(outfile, ["--compile", ...COMPILE_FLAGS, `--target=${target}`, ENTRY, "--outfile", outfile]);
    }
  }
  return made;
}

if (import.meta.main) {
  const allTargets = process.argv.includes("--all-targets") || process.env.CRIPROXY_ALL_TARGETS === "1";
  console.log(`building criproxy (host ${arch}${allTargets ? ", all targets" : ""})`);
  await build({ allTargets });
}
