// The operator's HTTP endpoint (Bun's own server): /metrics for Prometheus, /healthz and
// /readyz for probes. Off unless --metrics-addr is given; loopback unless the operator names another host.
import { CONTENT_TYPE } from "./exposition.ts";

export interface MetricsEndpoints {
  /** The scrape text. */
  metrics(): string;
  /** True while the proxy serves its socket. */
  healthy(): boolean;
  /** undefined when ready to serve kubelet (the primary answers), else why not. */
  notReady(): string | undefined;
}

export interface MetricsServer {
  /** The address actually bound (port 0 picks a free one). */
  readonly url: string;
  stop(): void;
}

/** Serves /metrics, /healthz and /readyz on `addr`. */
export function startMetricsServer(
  addr: { readonly host: string; readonly port: number },
  endpoints: MetricsEndpoints,
): MetricsServer {
  const server = Bun.serve({
    hostname: addr.host,
    port: addr.port,
    fetch(req) {
      if (req.method !== "GET" && req.method !== "HEAD") return text(405, "GET only\n", { allow: "GET, HEAD" });
      switch (new URL(req.url).pathname) {
        case "/metrics":
          return new Response(endpoints.metrics(), { headers: { "content-type": CONTENT_TYPE } });
        case "/healthz":
          return endpoints.healthy() ? text(200, "ok\n") : text(503, "stopping\n");
        case "/readyz": {
          const why = endpoints.notReady();
          return why === undefined ? text(200, "ok\n") : text(503, `${why}\n`);
        }
        default:
          return text(404, "criproxy serves /metrics, /healthz and /readyz\n");
      }
    },
    error: () => text(500, "internal error\n"),
  });
  const host = addr.host.includes(":") ? `[${addr.host}]` : addr.host;
  return { url: `http://${host}:${server.port}`, stop: () => void server.stop(true) };
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}
