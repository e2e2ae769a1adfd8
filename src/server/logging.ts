// Request dumps like the original criproxy's, as an interceptor around the handlers:
// -v 2 failed calls, -v 3 state-changing calls (ENTER/LEAVE), -v 4 status calls, -v 5 lists.
import { ConnectError } from "@connectrpc/connect";
import { fromBinary, toJsonString, type DescMessage } from "@bufbuild/protobuf";
import type { Logger } from "../log/klog.ts";
import { answerBytes } from "../metrics/answer-end.ts";
import { codeName } from "../metrics/metrics-interceptor.ts";
import type { Call, Handlers } from "./call.ts";

/** Wraps handlers with leveled logging; at -v 0/1 a call pays one comparison. */
export function withLogging(inner: Handlers, log: Logger): Handlers {
  const dumps = (call: Call) => call.row !== undefined && log.v >= call.row.log;
  return {
    async unary(call) {
      if (log.v < 2) return inner.unary(call);
      const dump = dumps(call);
      if (dump) log.log(0, "I", "proxy.ts", `ENTER: ${call.path}(${text(call.row!.method.input, call.request)})`);
      const started = performance.now();
      try {
        const answer = await inner.unary(call);
        if (dump) log.log(0, "I", "proxy.ts", `LEAVE: ${call.path} on ${routes(call)} in ${ms(started)}\n${text(call.row!.method.output, await answerBytes(answer))}`);
        return answer;
      } catch (e) {
        failed(log, call, e, started);
        throw e;
      }
    },
    async stream(call, send) {
      if (log.v < 2) return inner.stream(call, send);
      const started = performance.now();
      if (dumps(call)) log.log(0, "I", "proxy.ts", `ENTER: ${call.path}(${text(call.row!.method.input, call.request)})`);
      try {
        await inner.stream(call, send);
        if (dumps(call)) log.log(0, "I", "proxy.ts", `LEAVE: ${call.path} on ${routes(call)} in ${ms(started)}`);
      } catch (e) {
        failed(log, call, e, started);
        throw e;
      }
    },
  };
}

function failed(log: Logger, call: Call, e: unknown, started: number): void {
  const err = ConnectError.from(e);
  log.log(2, "E", "proxy.ts", `FAIL: ${call.path} on ${routes(call)} in ${ms(started)}: ${codeName(err)}: ${err.rawMessage}`);
}

const routes = (call: Call) => (call.routedTo.length ? call.routedTo.join(",") : "no runtime");
const ms = (started: number) => `${(performance.now() - started).toFixed(1)}ms`;


/** A message as readable, indented JSON; bytes that do not decode are shown as such. */
function text(schema: DescMessage, bytes: Uint8Array): string {
  try {
    return toJsonString(schema, fromBinary(schema, bytes), { prettySpaces: 2 });
  } catch (e) {
    return `<${bytes.length} bytes that do not decode as ${schema.typeName}: ${(e as Error).message}>`;
  }
}
