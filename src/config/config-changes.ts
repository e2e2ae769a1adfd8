// What a reload changes, in words for the log, and which changes need new proxy handlers.
import type { Config } from "./config.ts";

/** The settings that shape routing and backend calls: a change rebuilds the proxy's handlers. */
export function proxyKey(c: Config): string {
  return JSON.stringify([
    c.backends,
    c.handlers,
    c.connectTimeoutMs,
    c.requestTimeoutMs,
    c.staleGraceMs,
    c.fanOutBudgetMs,
    c.coolOffMs,
    c.probeIntervalMs,
    c.streamUrl,
  ]);
}

/** One phrase per changed setting; settings a running process cannot change say so. */
export function configChanges(from: Config, to: Config): string[] {
  const out: string[] = [];
  const byName = (c: Config) => new Map(c.backends.map((b) => [b.name, b]));
  const [before, after] = [byName(from), byName(to)];
  const label = (n: string) => (n === "" ? "primary" : n);
  const api = (b: { api?: string }) => b.api ?? "probed";
  for (const [n, b] of after) {
    const was = before.get(n);
    if (!was) out.push(`runtime ${label(n)} added (unix://${b.socket})`);
    else if (was.socket !== b.socket) out.push(`runtime ${label(n)} moved to unix://${b.socket}`);
    else if (api(was) !== api(b)) out.push(`runtime ${label(n)} API: ${api(was)} -> ${api(b)}`);
  }
  for (const n of before.keys()) if (!after.has(n)) out.push(`runtime ${label(n)} removed`);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const rows: [string, unknown, unknown][] = [
    ["runtime handlers", from.handlers, to.handlers],
    ["-v", from.verbosity, to.verbosity],
    ["--connect-timeout", from.connectTimeoutMs, to.connectTimeoutMs],
    ["--request-timeout", from.requestTimeoutMs, to.requestTimeoutMs],
    ["--stale-grace", from.staleGraceMs, to.staleGraceMs],
    ["--fan-out-budget", from.fanOutBudgetMs, to.fanOutBudgetMs],
    ["--cool-off", from.coolOffMs, to.coolOffMs],
    ["--probe-interval", from.probeIntervalMs, to.probeIntervalMs],
    ["--shutdown-grace", from.shutdownGraceMs, to.shutdownGraceMs],
    ["--stream-url", from.streamUrl, to.streamUrl],
    ["--metrics-addr", from.metricsAddr, to.metricsAddr],
    ["--log-format", from.logFormat, to.logFormat],
    ["--max-buffered-bytes", from.maxBufferedBytes, to.maxBufferedBytes],
  ];
  for (const [name, a, b] of rows) if (!same(a, b)) out.push(`${name} changed`);
  if (from.listen !== to.listen) out.push(`--listen changed: takes effect on restart (still serving ${from.listen})`);
  if (from.socketGroup !== to.socketGroup) out.push("--socket-group changed: takes effect on restart");
  if (!same(from.tracing, to.tracing)) out.push("tracing changed: takes effect on restart");
  return out;
}
