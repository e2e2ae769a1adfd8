// Tracing settings as Kubernetes' TracingConfiguration names them (kubelet's `tracing:`
// endpoint and samplingRatePerMillion), checked. Kubernetes exports OTLP over gRPC to
// localhost:4317; criproxy exports OTLP over HTTP, so a bare HOST:PORT means
// http://HOST:PORT/v1/traces and the default port is OTLP/HTTP's 4318.

export interface TracingConfig {
  /** The OTLP/HTTP traces URL. */
  readonly url: string;
  /** Root spans sampled per million calls (0..1000000); calls with a trace context follow their parent. */
  readonly samplingRatePerMillion: number;
}

export const DEFAULT_TRACING_ENDPOINT = "localhost:4318";

/** `HOST:PORT`, or an http(s) URL (path defaults to /v1/traces), as the OTLP/HTTP traces URL. */
export function tracingUrl(endpoint: string): string {
  const text = endpoint.trim();
  const url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`${JSON.stringify(endpoint)} is not HOST:PORT or an http(s) URL`);
  if (!url.hostname) throw new Error(`${JSON.stringify(endpoint)} names no host`);
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/v1/traces";
  return url.toString();
}

/** A sampling rate per million: an integer from 0 to 1000000. */
export function samplingRate(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n > 1_000_000)
    throw new Error(`${JSON.stringify(text)} is not an integer from 0 to 1000000`);
  return n;
}
