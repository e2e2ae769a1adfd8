// Start time: exec → socket file → first answered Version, for each proxy form and for the bare
// Bun floor (bench/floor.ts), interleaved so machine drift hits all alike.
import { join } from "node:path";
import { benchClient, prepare, waitAnswer } from "./client.ts";
import { startProxy, stop } from "./procs.ts";
import type { StartupResult } from "./results.ts";
import { median, round } from "./stats.ts";

export interface StartupVariant {
  readonly name: string;
  readonly command: { cmd: string[]; env?: Record<string, string> };
}

const VERSION = prepare("Version", { version: "0.1.0" });

/** The bare-Bun floor as a variant. */
export const bunFloor: StartupVariant = {
  name: "bun floor",
  command: { cmd: [process.execPath, join(import.meta.dir, "floor.ts")] },
};

/**
 * Starts each variant `reps` times against the runtime on `runtimeSocket`; the first call is made
 * in this process with a plain node:http2 client as soon as the socket file exists.
 */
export async function measureStartup(
  variants: readonly StartupVariant[],
  runtimeSocket: string,
  dir: string,
  reps: number,
  proxyFlags: string[] = [],
): Promise<StartupResult[]> {
  const samples = new Map(variants.map((v) => [v.name, { ready: [] as number[], first: [] as number[] }]));
  for (let rep = 0; rep < reps; rep++) {
    for (const v of variants) {
      const socket = join(dir, `su-${rep}-${v.name.replace(/\W+/g, "-")}.sock`);
      const px = await startProxy(v.command, `unix://${runtimeSocket}`, socket, [], v === bunFloor ? [] : proxyFlags);
      const client = benchClient("http2", socket);
      try {
        await waitAnswer(client, VERSION, 10_000);
        const s = samples.get(v.name)!;
        s.ready.push(round(px.readyMs, 2));
        s.first.push(round(performance.now() - px.spawnedAt, 2));
      } finally {
        client.close();
        await stop(px.proc);
      }
    }
  }
  return [...samples].map(([form, s]) => ({
    form,
    readyMs: s.ready,
    firstCallMs: s.first,
    medianReadyMs: round(median(s.ready), 1),
    medianFirstCallMs: round(median(s.first), 1),
  }));
}
