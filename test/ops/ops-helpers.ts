// What the ops and fault tests share: waiting, grpc codes, the metrics URL a proxy logs, scrapes.
import type { ProxyProcess } from "../support/proxy-process.ts";
import { parsePrometheusText, type ParsedFamily } from "./prom-text.ts";

/** Polls `check` until it holds; throws after `ms`. */
export async function waitFor(check: () => Promise<boolean> | boolean, ms = 8000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() > until) throw new Error(`${what} not met within ${ms}ms`);
    await Bun.sleep(25);
  }
}

/** A call's outcome as {code, details}; code 0 when it answered. */
export const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 0, details: "" }),
    (e: { code: number; details: string }) => ({ code: e.code, details: e.details }),
  );

/** The metrics base URL the proxy logged (`metrics on http://…`). */
export async function metricsUrl(proxy: ProxyProcess): Promise<string> {
  let url = "";
  await waitFor(() => {
    url = /metrics on (http:\/\/\S+)/.exec(proxy.log())?.[1] ?? "";
    return url !== "";
  }, 5000, "metrics URL in the log");
  return url;
}

/** GET /metrics, checked by the strict parser. */
export async function scrape(base: string): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  if (res.headers.get("content-type") !== "text/plain; version=0.0.4; charset=utf-8") throw new Error(`content-type ${res.headers.get("content-type")}`);
  return parsePrometheusText(await res.text());
}

/** An HTTP GET's status and body. */
export async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}
