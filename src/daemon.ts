// A running proxy: backends, server, signals. `criproxy serve` and the demo both start one.
import { Backend } from "./backends/backend.ts";
import type { Config } from "./config/config.ts";
import type { Logger } from "./log/klog.ts";
import { routingTable } from "./core/routing-table.ts";
import { withLogging } from "./server/logging.ts";
import { createProxy } from "./server/proxy.ts";
import { startServer } from "./server/server.ts";

export interface Daemon {
  readonly backends: readonly Backend[];
  /** Graceful stop: no new calls, in-flight ones finish within the grace, backends close, socket removed. */
  stop(): Promise<void>;
}

/** Starts the proxy; resolves once its socket accepts connections (backends connect in the background). */
export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  const backends = config.backends.map(
    (spec) =>
      new Backend({
        name: spec.name,
        socket: spec.socket,
        connectTimeoutMs: config.connectTimeoutMs,
        onState(b, previous) {
          const why = b.state === "down" && b.lastError ? `: ${b.lastError.rawMessage}` : "";
          log.log(b.state === "down" ? 0 : 1, b.state === "down" ? "W" : "I", "backend.ts", `runtime ${b.label} (unix://${b.socket}): ${previous} -> ${b.state}${why}`);
        },
      }),
  );
  const [primary, ...named] = backends;
  const table = routingTable(
    named.map((b) => b.name),
    config.handlers.map((c) => [c.handler, { backend: c.backend, handler: c.backendHandler }] as const),
  );
  const proxy = createProxy({
    primary,
    named,
    table,
    connectTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    staleGraceMs: config.staleGraceMs,
    streamUrl: config.streamUrl,
    log,
  });
  const handlers = withLogging(proxy, log);
  const server = await startServer({
    listen: config.listen,
    handlers,
    onError: (e) => log.log(0, "E", "server.ts", `unexpected failure in a call: ${(e as Error)?.stack ?? String(e)}`),
  });
  for (const b of backends) b.start();
  log.log(0, "I", "daemon.ts", `criproxy serving on ${config.listen}, primary unix://${primary.socket}${named.map((b) => `, ${b.name} unix://${b.socket}`).join("")}`);
  return {
    backends,
    async stop() {
      await server.close(config.shutdownGraceMs);
      for (const b of backends) b.close();
    },
  };
}
