// The operator's endpoint over a daemon's life: started, moved or stopped by a reload. A new
// address that cannot be bound rejects the reload and the old one keeps serving.
import type { MetricsAddr } from "../config/metrics-addr.ts";
import type { Logger } from "../log/logger.ts";
import { startMetricsServer, type MetricsEndpoints, type MetricsServer } from "../metrics/metrics-server.ts";

/** /metrics, /healthz and /readyz on the configured address, if any. */
export class MetricsEndpoint {
  private server: MetricsServer | undefined;
  private addr: MetricsAddr | undefined;

  constructor(
    private readonly log: Logger,
    private readonly endpoints: MetricsEndpoints,
  ) {}

  /** Where it is served now. */
  get url(): string | undefined {
    return this.server?.url;
  }

  /** Serves on `addr` (undefined: nowhere); throws naming the address when it cannot be bound, still serving the old one. */
  apply(addr: MetricsAddr | undefined): void {
    if (JSON.stringify(addr) === JSON.stringify(this.addr) && (addr === undefined) === (this.server === undefined))
      return;
    const previous = this.addr;
    this.stop();
    try {
      this.start(addr);
    } catch (e) {
      this.start(previous);
      throw new Error(`--metrics-addr ${addr!.host}:${addr!.port}: ${(e as Error).message}`);
    }
  }

  /** Stops serving. */
  stop(): void {
    this.server?.stop();
    this.server = undefined;
    this.addr = undefined;
  }

  private start(addr: MetricsAddr | undefined): void {
    if (addr === undefined) return;
    this.server = startMetricsServer(addr, this.endpoints);
    this.addr = addr;
    this.log.log(0, "I", "daemon.ts", `metrics on ${this.server.url} (/metrics, /healthz, /readyz)`);
    if (!addr.loopback)
      this.log.log(
        0,
        "W",
        "daemon.ts",
        `--metrics-addr ${addr.host} is not a loopback address: /metrics is reachable from the network`,
      );
  }
}
