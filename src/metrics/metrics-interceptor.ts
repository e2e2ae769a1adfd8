// Metrics per call, as an interceptor around the handlers (like src/server/logging.ts):
// the code from the ConnectError, the runtimes from `call.routedTo` once the call is done.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Call, Handlers } from "../server/call.ts";
import type { ProxyMetrics } from "./proxy-metrics.ts";

/** Wraps handlers so every call is counted and timed, and every event message counted. */
export function withMetrics(inner: Handlers, m: ProxyMetrics): Handlers {
  return {
    async unary(call) {
      const started = performance.now();
      m.inFlight++;
      try {
        const answer = await inner.unary(call);
        m.called(methodOf(call), call.routedTo, "OK", (performance.now() - started) / 1000);
        return answer;
      } catch (e) {
        m.called(methodOf(call), call.routedTo, codeName(e), (performance.now() - started) / 1000);
        throw e;
      } finally {
        m.inFlight--;
      }
    },
    async stream(call, send) {
      // Streams are open-ended (GetContainerEvents lives as long as kubelet): counted, not timed.
      const counted = call.row?.kind === "events" ? (msg: Uint8Array) => (m.events.inc(), send(msg)) : send;
      m.inFlight++;
      try {
        await inner.stream(call, counted);
        m.called(methodOf(call), call.routedTo, "OK", undefined);
      } catch (e) {
        m.called(methodOf(call), call.routedTo, codeName(e), undefined);
        throw e;
      } finally {
        m.inFlight--;
      }
    },
  };
}

/** The rpc name; a path this build does not know is "unknown" (a client must not grow our series). */
export function methodOf(call: Call): string {
  return call.row?.method.name ?? "unknown";
}

/** The gRPC code's name as grpc-go spells it (`Unavailable`, `DeadlineExceeded`). */
export function codeName(e: unknown): string {
  const code = ConnectError.from(e).code;
  return Code[code] ?? String(code);
}
