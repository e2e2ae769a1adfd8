// HTTP/2 floods from a named runtime's side (test/support/h2-peers/hostile-runtime.go, a runtime
// criproxy dials that floods every connection it gets), with the well-behaved grpc-go client of
// floods.ts calling the primary's Version beside it: criproxy's RSS before and at its peak, when
// it closed the runtime's connection, and the good client's calls. Used by
// test/faults/runtime-floods.test.ts and bench/runtime-floods.ts.
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { buildPeers, goodAlone, rssMB, type GoodClient } from "./floods.ts";
import { criClient } from "./grpc-client.ts";
import { startProxy } from "./proxy-process.ts";
import { tempSocket } from "./temp-socket.ts";

/** The floods a runtime can send; `reads: false` ones never read what criproxy owes them. */
export const RUNTIME_ATTACKS = [
  "ping",
  "settings",
  "empty-data",
  "continuation",
  "rst",
  "hpack-bomb",
  "stop-reading",
] as const;
export type RuntimeAttack = (typeof RUNTIME_ATTACKS)[number];

export interface RuntimeFloodResult {
  attack: RuntimeAttack;
  rssBeforeMB: number;
  rssPeakMB: number;
  /** When criproxy closed the first flooded connection, ms after the flood began; -1 if it never did. */
  closedAfterMs: number;
  /** Connections criproxy made to the runtime during the flood (it reconnects after each close). */
  connections: number;
  frames: number;
  good: GoodClient;
  /** The good client's p99 with no flood, just before (what this machine allows now). */
  quietP99Ms: number;
  /** criproxy's log lines naming the runtime's connection (its GOAWAY, a calm violation). */
  logged: string[];
}

async function lines(stream: ReadableStream<Uint8Array>, until: (line: string) => boolean): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const found = text.split("\n").find(until);
    if (found) {
      reader.releaseLock();
      return found;
    }
  }
  throw new Error(`no line matched in: ${text}`);
}

/**
 * criproxy with a fake primary and the named runtime `vm` that floods it for `seconds`, while
 * the good client calls the primary's Version every `everyMs`.
 */
export async function runtimeFlood(attack: RuntimeAttack, seconds: number, everyMs = 50): Promise<RuntimeFloodResult> {
  const peers = await buildPeers();
  const primary = await startFakeRuntime({ socket: tempSocket("rf-primary") });
  const vmSocket = tempSocket("rf-vm");
  // -v 1: the runtime's connection lines (GOAWAY, calm) are logged at 0, state changes at 1.
  const proxy = await startProxy(["--connect", `${primary.socket},vm:${vmSocket}`, "-v", "1"]);
  const kubelet = criClient(proxy.socket, { deadlineMs: 3000 });
  let runtime: ReturnType<typeof Bun.spawn> | undefined;
  try {
    // Warm: the routing loaded and a list asked (vm is not there yet), then the level before.
    await kubelet.call("Version", {});
    await kubelet.call("ListPodSandbox", {}).catch(() => {});
    // As many calls as the flood's window holds: a p99 of 10 calls against one of 30 would favour the quiet one.
    const quietP99Ms = (await goodAlone(proxy.socket, seconds + 1)).p99Ms;
    const pid = proxy.proc.pid!;
    const rssBeforeMB = rssMB(pid);
    const good = Bun.spawn(
      [peers, "flood", "-socket", proxy.socket, "-good", "-every", `${everyMs}ms`, "-duration", `${seconds + 1}s`],
      { stdout: "pipe", stderr: "pipe" },
    );
    let peak = rssBeforeMB;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, rssMB(pid));
        await Bun.sleep(50);
      }
    })();
    runtime = Bun.spawn(
      [peers, "hostile-runtime", "-socket", vmSocket, "-attack", attack, "-duration", `${seconds}s`],
      {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const out = runtime.stdout as ReadableStream<Uint8Array>;
    await lines(out, (l) => l.includes('"listening"'));
    // A list that includes vm makes criproxy dial it now rather than at its next backoff.
    void kubelet.call("ListPodSandbox", {}).catch(() => {});
    const [r, g] = await Promise.all([
      lines(out, (l) => l.includes('"attack"')).then(
        (l) => JSON.parse(l) as { closedAfterMs: number; connections: number; frames: number },
      ),
      new Response(good.stdout as ReadableStream)
        .text()
        .then((t) => JSON.parse(t.trim().split("\n").pop()!) as GoodClient),
    ]);
    await Bun.sleep(300);
    sampling = false;
    await sampler;
    peak = Math.max(peak, rssMB(pid));
    const logged = proxy
      .log()
      .split("\n")
      .filter((l) => /runtime vm .*(GOAWAY|flood|connection closed)/.test(l));
    return {
      attack,
      rssBeforeMB,
      rssPeakMB: peak,
      closedAfterMs: r.closedAfterMs,
      connections: r.connections,
      frames: r.frames,
      good: g,
      quietP99Ms,
      logged,
    };
  } finally {
    kubelet.close();
    if (runtime) {
      (runtime.stdin as import("bun").FileSink).end();
      await runtime.exited;
    }
    await proxy.stop();
    await primary.stop();
  }
}
