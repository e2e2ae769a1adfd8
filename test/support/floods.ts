// HTTP/2 floods at criproxy's socket with a well-behaved grpc-go client beside them
// (test/support/h2-peers/flood.go, built with Debian's Go): the proxy's RSS before and at its
// peak, when the attacker was cut off, and the good client's calls. Used by the flood tests
// (test/e2e/floods.test.ts) and the table in bench/floods.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { goBuild } from "./go-build.ts";

/** The floods `h2-peers flood` knows; `reads: false` ones never read what the server owes them. */
export const ATTACKS = [
  "continuation",
  "rapid-reset",
  "ping",
  "settings",
  "data-on-closed",
  "empty-headers",
  "empty-data",
  "priority",
  "hpack-bomb",
  "streams",
] as const;
export type Attack = (typeof ATTACKS)[number];

export interface GoodClient {
  calls: number;
  ok: number;
  codes: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  error?: string;
}

export interface FloodResult {
  attack: Attack | "idle-connections";
  rssBeforeMB: number;
  rssPeakMB: number;
  /** When the proxy closed the attacker's connection (ms after it began), -1 if it never did. */
  closedAfterMs: number;
  frames?: number;
  good: GoodClient;
}

/** The peers' binary (h2-peers/: `flood` and `hostile-runtime`), built once. */
export const buildPeers = () => goBuild(join(import.meta.dir, "h2-peers"), "h2-peers");

/** A process's resident set, in MiB. */
export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function json<T>(p: ReturnType<typeof Bun.spawn>): Promise<T> {
  const [out, err] = await Promise.all([
    new Response(p.stdout as ReadableStream).text(),
    new Response(p.stderr as ReadableStream).text(),
    p.exited,
  ]);
  const line = out.trim().split("\n").pop() ?? "";
  if (!line.startsWith("{")) throw new Error(`h2-peers flood printed no result: ${out} ${err}`);
  return JSON.parse(line) as T;
}

/** Samples `pid`'s RSS every 50 ms until stopped; resolves with the peak. */
function watchRss(pid: number): { stop(): Promise<number> } {
  let peak = rssMB(pid);
  let running = true;
  const done = (async () => {
    while (running) {
      peak = Math.max(peak, rssMB(pid));
      await Bun.sleep(50);
    }
    return Math.max(peak, rssMB(pid));
  })();
  return { stop: () => ((running = false), done) };
}

/** The good client alone for `seconds` (what its latency is on this machine now, with no flood). */
export async function goodAlone(socket: string, seconds: number): Promise<GoodClient> {
  const bin = await buildPeers();
  return json<GoodClient>(
    Bun.spawn([bin, "flood", "-socket", socket, "-good", "-every", "100ms", "-duration", `${seconds}s`], {
      stdout: "pipe",
      stderr: "pipe",
    }),
  );
}

/** One flood of `seconds` at `socket` (served by process `pid`), the good client calling Version every 100 ms throughout. */
export async function flood(socket: string, pid: number, attack: Attack, seconds: number): Promise<FloodResult> {
  const bin = await buildPeers();
  const rssBeforeMB = rssMB(pid);
  const good = Bun.spawn(
    [bin, "flood", "-socket", socket, "-good", "-every", "100ms", "-duration", `${seconds + 0.5}s`],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  await Bun.sleep(250); // the good client is connected and calling before the flood begins
  const rss = watchRss(pid);
  const attacker = Bun.spawn([bin, "flood", "-socket", socket, "-attack", attack, "-duration", `${seconds}s`], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [a, g] = await Promise.all([json<{ closedAfterMs: number; frames: number }>(attacker), json<GoodClient>(good)]);
  await Bun.sleep(300);
  return {
    attack,
    rssBeforeMB,
    rssPeakMB: await rss.stop(),
    closedAfterMs: a.closedAfterMs,
    frames: a.frames,
    good: g,
  };
}

/** `count` idle connections held open, then the good client for `seconds`: is it answered? */
export async function idleConnections(
  socket: string,
  pid: number,
  count: number,
  seconds: number,
): Promise<FloodResult & { held: number }> {
  const bin = await buildPeers();
  const rssBeforeMB = rssMB(pid);
  const rss = watchRss(pid);
  const holder = Bun.spawn([bin, "flood", "-socket", socket, "-idle", String(count)], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = (holder.stdout as ReadableStream<Uint8Array>).getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  const held = (JSON.parse(first.trim().split("\n")[0]) as { held: number }).held;
  await Bun.sleep(200);
  try {
    const good = Bun.spawn([bin, "flood", "-socket", socket, "-good", "-every", "100ms", "-duration", `${seconds}s`], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const g = await json<GoodClient>(good);
    return { attack: "idle-connections", rssBeforeMB, rssPeakMB: await rss.stop(), closedAfterMs: -1, held, good: g };
  } finally {
    (holder.stdin as import("bun").FileSink).end();
    await holder.exited;
  }
}
