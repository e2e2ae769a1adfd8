// Metrics per call, as an interceptor: the code from the error, the runtimes from
// `call.routedTo` once the call is done (a unary answer may still be arriving when it returns).
import { answerEnded, rawParts } from "../grpc/answer.ts";
import { methodOf, type Handlers, type Interceptor } from "../grpc/call.ts";
import { codeName } from "../grpc/status.ts";
import type { ProxyMetrics } from "./proxy-metrics.ts";

/** The interceptor counting and timing every call, and counting every event message. */
export function callMetrics(m: ProxyMetrics): Interceptor {
  return (next) => ({
    async unary(call) {
      const started = performance.now();
      const done = (code: string) => {
        m.inFlight--;
        m.called(methodOf(call), call.routedTo, code, (performance.now() - started) / 1000);
      };
      m.inFlight++;
      let answer: Awaited<ReturnType<Handlers["unary"]>>;
      try {
        answer = await next.unary(call);
      } catch (e) {
        done(codeName(e));
        throw e;
      }
      // An answer still arriving is counted when it ends, with the code it ends with.
      const parts = rawParts(answer);
      if (parts.length === 0) done("OK");
      else
        answerEnded(parts).then(
          () => done("OK"),
          (e) => done(codeName(e)),
        );
      return answer;
    },
    async stream(call, send) {
      // Streams are open-ended (GetContainerEvents lives as long as kubelet): counted, not timed.
      const counted = call.row?.kind === "events" ? (msg: Uint8Array) => (m.events.inc(), send(msg)) : send;
      m.inFlight++;
      try {
        await next.stream(call, counted);
        m.called(methodOf(call), call.routedTo, "OK", undefined);
      } catch (e) {
        m.called(methodOf(call), call.routedTo, codeName(e), undefined);
        throw e;
      } finally {
        m.inFlight--;
      }
    },
  });
}
