// The soak: a kubelet-like load (relists, stats, status calls, pod churn, an event stream)
// while faults are injected — a named runtime killed and restarted, runtime errors, garbage
// connections, clients hanging up mid-call. It asserts that no call outlives its deadline,
// no pod vanishes from a list while its runtime merely restarts, and that the proxy's open
// fds and memory stay bounded; a /metrics scrape (strictly parsed) shows the faults.
// ~10 s locally, ~60 s with CI=true, SOAK_SECONDS=N for longer.
import { expect, test } from "bun:test";
import { status as grpcStatus } from "@grpc/grpc-js";
import { Code, ConnectError } from "@connectrpc/connect";
import { connect as h2connect } from "node:http2";
import { connect } from "node:net";
import { startFakeRuntime } from "../../src/fake/runtime.ts";
import { defaults } from "../../src/config/config.ts";
import { parseDuration } from "../../src/config/duration.ts";
import { criClient } from "../support/grpc-client.ts";
import { startProxy } from "../support/proxy-process.ts";
import { tempSocket } from "../support/temp-socket.ts";
import { metricsUrl, scrape, waitFor } from "../ops/ops-helpers.ts";
import { sumOf, valueOf } from "../ops/prom-text.ts";
import { fdCount, rssBytes, runtimeProcess, soakCounts } from "./fault-support.ts";

const FANOUT_TIMEOUT_MS = parseDuration(defaults["fan-out-budget"]);

const SOAK_MS = (Number(process.env.SOAK_SECONDS) || (process.env.CI ? 60 : 10)) * 1000;
/** The deadline every call carries, like kubelet's (shorter, so a hang shows in time). */
const DEADLINE_MS = 15_000;
/** The slowest answer allowed: the fan-out cap plus scheduling slack on a loaded CI machine. */
const MAX_LATENCY_MS = FANOUT_TIMEOUT_MS + 2000;
const FD_GROWTH_MAX = 10;
const RSS_GROWTH_MAX = 96 * 1024 * 1024;

test(
  `soak: ${SOAK_MS / 1000}s of kubelet-like load with runtime and client faults`,
  async () => {
    const primary = await startFakeRuntime({ socket: tempSocket("soak-primary"), pods: 20, containersPerPod: 2 });
    const vm = runtimeProcess({ socket: tempSocket("soak-vm"), seed: "soak-vm", pods: 6, containersPerPod: 2 });
    await vm.start();
    const proxy = await startProxy([
      "--connect",
      `${primary.socket},vm:${vm.socket}`,
      "--metrics-addr",
      "127.0.0.1:0",
      "--connect-timeout",
      "1s",
    ]);
    const pid = proxy.proc.pid!;
    const kubelet = criClient(proxy.socket, { deadlineMs: DEADLINE_MS });
    const stats = {
      calls: 0,
      ok: 0,
      failed: {} as Record<string, number>,
      maxLatencyMs: 0,
      faults: { vmKilled: 0, vmStopped: 0, runtimeErrors: 0, garbageConnections: 0, clientHangUps: 0 },
      relists: 0,
      events: 0,
      eventStreams: 0,
    };
    const violations: string[] = [];
    let running = true;
    const stopped = () => !running;

    /** One call, timed and classified; `expected(code, details)` says which failures are fine here. */
    async function call<T>(
      method: string,
      request: object,
      expected: (code: number, details: string) => boolean,
    ): Promise<T | undefined> {
      const started = Date.now();
      stats.calls++;
      try {
        const answer = await kubelet.call<T>(method, request);
        stats.ok++;
        return answer;
      } catch (e) {
        const { code, details } = e as { code: number; details: string };
        const key = `${method} ${grpcStatus[code]}`;
        stats.failed[key] = (stats.failed[key] ?? 0) + 1;
        if (code === grpcStatus.DEADLINE_EXCEEDED) violations.push(`${method} past its deadline`);
        else if (!expected(code, details)) violations.push(`${method}: unexpected ${grpcStatus[code]}: ${details}`);
        return undefined;
      } finally {
        const took = Date.now() - started;
        stats.maxLatencyMs = Math.max(stats.maxLatencyMs, took);
        if (took > MAX_LATENCY_MS) violations.push(`${method} took ${took}ms`);
      }
    }
    const never = () => false;
    // Known gap (see backend-faults.test.ts): a call cut by vm's death can come back Canceled
    // ("runtime vm reset the stream (NGHTTP2_CANCEL)") instead of Unavailable; tolerated, counted.
    const vmDown = (code: number, details: string) =>
      (code === grpcStatus.UNAVAILABLE && details.includes("vm")) ||
      (code === grpcStatus.CANCELLED && details.includes("runtime vm reset the stream"));
    const injected = (code: number, details: string) => code === grpcStatus.UNAVAILABLE && details.includes("injected");
    const every = async (ms: number, body: () => Promise<void>) => {
      while (!stopped()) {
        const next = Date.now() + ms;
        await body();
        await Bun.sleep(Math.max(0, next - Date.now()));
      }
    };

    try {
      const base = await metricsUrl(proxy);
      type Pods = { items: { id: string }[] };
      let vmPods: string[] = [];
      await waitFor(
        async () =>
          (vmPods = (await kubelet.call<Pods>("ListPodSandbox")).items
            .map((p) => p.id)
            .filter((id) => id.startsWith("vm__"))).length === 6,
        8000,
        "vm listed",
      );
      const primaryPods = [...primary.state.sandboxes.keys()];
      const mustList = [...primaryPods, ...vmPods];
      const containers = (await kubelet.call<{ containers: { id: string }[] }>("ListContainers")).containers.map(
        (c) => c.id,
      );
      const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];

      const loops = [
        // The relist (kubelet's PLEG, sped up): every pod of both runtimes, always.
        every(100, async () => {
          const [pods] = await Promise.all([
            call<Pods>("ListPodSandbox", {}, never),
            call("ListContainers", {}, never),
          ]);
          stats.relists++;
          if (!pods) return;
          const listed = new Set(pods.items.map((p) => p.id));
          const missing = mustList.filter((id) => !listed.has(id));
          if (missing.length)
            violations.push(`relist ${stats.relists}: ${missing.length} pods missing (${missing[0]})`);
        }),
        // Stats and status, as the kubelet's stats provider and runtime health check ask.
        every(500, async () => {
          await Promise.all([
            call("ListPodSandboxStats", {}, never),
            call("ListContainerStats", {}, never),
            call("Status", {}, never),
            call("ImageFsInfo", {}, never),
          ]);
        }),
        // Status of single objects on either runtime; vm's fail Unavailable while it is away.
        every(100, async () => {
          const id = pick(mustList);
          await call("PodSandboxStatus", { podSandboxId: id }, id.startsWith("vm__") ? vmDown : injected);
          const cid = pick(containers);
          await call("ContainerStatus", { containerId: cid }, cid.startsWith("vm__") ? vmDown : injected);
        }),
        // Pod churn on the primary.
        every(400, async () => {
          const run = await call<{ podSandboxId: string }>(
            "RunPodSandbox",
            { config: { metadata: { name: `churn-${stats.calls}`, uid: `u${stats.calls}`, namespace: "soak" } } },
            never,
          );
          if (!run) return;
          await call("StopPodSandbox", { podSandboxId: run.podSandboxId }, never);
          await call("RemovePodSandbox", { podSandboxId: run.podSandboxId }, never);
        }),
        // An event stream for as long as the soak runs, re-opened whenever it ends.
        (async () => {
          while (!stopped()) {
            stats.eventStreams++;
            const events = criClient(proxy.socket).stream("GetContainerEvents");
            const stopReading = setInterval(() => stopped() && events.cancel(), 100);
            try {
              for await (const _ of events) stats.events++;
            } catch {
              // ends when the primary's stream does; kubelet subscribes again
            } finally {
              clearInterval(stopReading);
            }
            await Bun.sleep(100);
          }
        })(),
        every(200, async () =>
          primary.emit({
            containerId: pick(containers),
            containerEventType: 1,
            createdAt: BigInt(Date.now()) * 1_000_000n,
            containersStatuses: [],
          } as never),
        ),
        // Faults: vm killed (SIGKILL) or stopped (SIGTERM) and back after a moment.
        every(2500, async () => {
          if (stopped()) return;
          const kill = stats.faults.vmKilled <= stats.faults.vmStopped;
          await vm.kill(kill ? "SIGKILL" : "SIGTERM");
          if (kill) stats.faults.vmKilled++;
          else stats.faults.vmStopped++;
          await Bun.sleep(300 + Math.random() * 500);
          await vm.start();
        }),
        // Faults: the primary answers a status call with an error; garbage on the socket; hang-ups.
        every(1000, async () => {
          primary.failNext("ContainerStatus", new ConnectError("injected failure", Code.Unavailable));
          stats.faults.runtimeErrors++;
          await new Promise<void>((resolve) => {
            const s = connect(proxy.socket, () => s.end("\x16\x03\x01garbage\r\n\r\n"));
            s.on("close", () => resolve());
            s.on("error", () => resolve());
            s.resume();
          });
          stats.faults.garbageConnections++;
          await new Promise<void>((resolve) => {
            const session = h2connect("http://localhost", { createConnection: () => connect(proxy.socket) });
            session.on("error", () => {});
            const stream = session.request({
              ":method": "POST",
              ":path": "/runtime.v1.RuntimeService/ListContainers",
              "content-type": "application/grpc",
              te: "trailers",
            });
            stream.on("error", () => {});
            stream.end(Buffer.alloc(5));
            setTimeout(() => {
              session.destroy();
              resolve();
            }, 2);
          });
          stats.faults.clientHangUps++;
        }),
      ];

      // Warm up, then take the baseline the end is compared with.
      await Bun.sleep(Math.min(2000, SOAK_MS / 5));
      const start = { fds: fdCount(pid), rss: rssBytes(pid) };
      let peak = { ...start };
      const sampler = every(500, async () => {
        peak = { fds: Math.max(peak.fds, fdCount(pid)), rss: Math.max(peak.rss, rssBytes(pid)) };
      });
      await Bun.sleep(SOAK_MS / 2);
      const midScrape = await scrape(base); // strict parse during the soak
      await Bun.sleep(SOAK_MS / 2 - Math.min(2000, SOAK_MS / 5));
      running = false;
      await Promise.all([...loops, sampler]);
      if (!vm.running) await vm.start();
      // The last calls, streams and hang-ups are over before the end is measured.
      await waitFor(
        async () => valueOf(await scrape(base), "criproxy_open_streams") === 0,
        10_000,
        "no stream open at the proxy",
      );
      const end = { fds: fdCount(pid), rss: rssBytes(pid) };
      // vm was killed and started again at least once: the proxy has it back (a condition, not a time).
      await waitFor(
        async () => (valueOf(await scrape(base), "criproxy_backend_reconnects_total", { backend: "vm" }) ?? 0) >= 1,
        10_000,
        "vm reconnected",
      );
      const m = await scrape(base);

      const figures = {
        seconds: SOAK_MS / 1000,
        calls: stats.calls,
        ok: stats.ok,
        failed: stats.failed,
        maxLatencyMs: stats.maxLatencyMs,
        faults: stats.faults,
        relists: stats.relists,
        eventsReceived: stats.events,
        eventStreams: stats.eventStreams,
        fds: { start: start.fds, peak: peak.fds, end: end.fds },
        rssMB: {
          start: +(start.rss / 2 ** 20).toFixed(1),
          peak: +(peak.rss / 2 ** 20).toFixed(1),
          end: +(end.rss / 2 ** 20).toFixed(1),
        },
        metrics: soakCounts(m),
      };
      console.log(`soak figures: ${JSON.stringify(figures)}`);

      expect(violations.slice(0, 10)).toEqual([]);
      // At least kubelet's own pace (a relist a second), however loaded the machine is.
      expect(stats.relists).toBeGreaterThan(SOAK_MS / 1000);
      expect(end.fds - start.fds).toBeLessThanOrEqual(FD_GROWTH_MAX);
      expect(end.rss - start.rss).toBeLessThanOrEqual(RSS_GROWTH_MAX);
      // The scrapes parsed strictly (scrape() throws otherwise) and show the faults.
      expect(midScrape.get("criproxy_calls_total")?.samples.length).toBeGreaterThan(0);
      expect(figures.metrics.vmReconnects).toBeGreaterThanOrEqual(1);
      expect(figures.metrics.staleListAnswers).toBeGreaterThan(0);
      expect(figures.metrics.canceled + figures.metrics.unavailableVm).toBeGreaterThan(0);
      expect(sumOf(m, "criproxy_calls_total", { backend: "primary", code: "Unavailable" })).toBeGreaterThanOrEqual(1); // the injected runtime errors
      expect(figures.metrics.eventsStreamed).toBeGreaterThan(0);
      expect(figures.metrics.calls).toBeGreaterThanOrEqual(stats.ok);
      expect(proxy.proc.exitCode).toBeNull();
    } finally {
      running = false;
      kubelet.close();
      await proxy.stop();
      await primary.stop();
      await vm.kill();
    }
  },
  SOAK_MS + 60_000,
);
