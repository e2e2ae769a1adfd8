// What the ops and fault tests share: waiting, grpc codes, the metrics URL a proxy logs, scrapes.
import type { ProxyProcess } from "../support/proxy-process.ts";
import { waitFor } from "../support/wait.ts";
export { codeOf, waitFor } from "../support/wait.ts";
import { parsePrometheusText, type ParsedFamily } from "./prom-text.ts";

/** The metrics base URL the proxy logged (`metrics on http://…`). */
export async function metricsUrl(proxy: ProxyProcess): Promise<string> {
  let url = "";
  await waitFor(
    () => {
      url = /metrics on (http:\/\/\S+)/.exec(proxy.log())?.[1] ?? "";
      return url !== "";
    },
    5000,
    "metrics URL in the log",
  );
  return url;
}

/** GET /metrics, checked by the strict parser. */
export async function scrape(base: string): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  if (res.headers.get("content-type") !== "text/plain; version=0.0.4; charset=utf-8")
    throw new Error(`content-type ${res.headers.get("content-type")}`);
  return parsePrometheusText(await res.text());
}

/** An HTTP GET's status and body. */
export async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}
