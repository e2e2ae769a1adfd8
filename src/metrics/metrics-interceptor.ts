// Metrics per call, as an interceptor around the handlers (like src/server/logging.ts):
// the code from the ConnectError, the runtimes from `call.routedTo` once the call is done.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Call, Handlers } from "../server/call.ts";
import { answerEnded, rawParts } from "./answer-end.ts";
import type { ProxyMetrics } from "./proxy-metrics.ts";

/** Wraps handlers so every call is counted and timed, and every event message counted. */
export function withMetrics(inner: Handlers, m: ProxyMetrics): Handlers {
  return {
    async unary(call) {
      const started = performance.now();
      const done = (code: string) => {
        m.inFlight--;
        m.called(methodOf(call), call.routedTo, code, (performance.now() - started) / 1000);
      };
      m.inFlight++;
      let answer;
      try {
        answer = await inner.unary(call);
      } catch (e) {
        done(codeName(e));
        throw e;
      }
      // An answer still arriving is counted when it ends, with the code it ends with.
      const parts = rawParts(answer);
      if (parts.length === 0) done("OK");
      else answerEnded(parts).then(() => done("OK"), (e) => done(codeName(e)));
      return answer;
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
