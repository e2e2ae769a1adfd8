// Tracing as Kubernetes components configure it (TracingConfiguration: an OTLP endpoint and
// samplingRatePerMillion): an OpenTelemetry tracer provider exporting OTLP over HTTP, batched.
// Loaded only when configured (daemon.ts imports this lazily): tracing off loads nothing.
import { diag, DiagLogLevel, type DiagLogFunction } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import type { Interceptor } from "../grpc/call.ts";
import type { Logger } from "../log/logger.ts";
import { VERSION } from "../version.ts";
import { callTracer } from "./call-tracer.ts";

export interface TracingOptions {
  /** The OTLP/HTTP traces URL (e.g. http://localhost:4318/v1/traces). */
  readonly url: string;
  /** Root spans sampled per million calls; a call with kubelet's trace context is sampled as kubelet's span was. */
  readonly samplingRatePerMillion: number;
}

export interface Tracing {
  readonly interceptor: Interceptor;
  /** Exports what is still batched, then stops. */
  shutdown(): Promise<void>;
}

/** Starts the tracer provider; its export failures are logged at -v 1, repeats limited by the logger. */
export function startTracing(opts: TracingOptions, log: Logger): Tracing {
  const warn: DiagLogFunction = (message, ...args) =>
    log.log(1, "W", "tracing.ts", `tracing: ${[message, ...args.map(String)].join(" ")}`);
  const quiet: DiagLogFunction = () => {};
  diag.setLogger({ error: warn, warn, info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "criproxy", "service.version": VERSION }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.samplingRatePerMillion / 1_000_000) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.url }))],
  });
  return {
    interceptor: callTracer(provider.getTracer("criproxy", VERSION)),
    shutdown: () => provider.shutdown(),
  };
}
