// Per-call logging as one interceptor, like the original criproxy's dumps: -v 2 failed calls,
// -v 3 state-changing calls, -v 4 status calls, -v 5 lists. Text writes ENTER and LEAVE lines
// with the messages as JSON; JSON writes one record per call with its ids. A runtime's error
// is the runtime's: a FAIL line naming it, never a stack; a client's cancel is not an error.
import { Code, ConnectError } from "@connectrpc/connect";
import { fromBinary, toJsonString, type DescMessage } from "@bufbuild/protobuf";
import { answerBytes, answerEnded, rawParts, type Answer } from "../grpc/answer.ts";
import { methodOf, routesOf, type Call, type Interceptor } from "../grpc/call.ts";
import { traceIdOf } from "../grpc/call-span.ts";
import { codeName } from "../grpc/status.ts";
import { namesIds, pickIds } from "./call-ids.ts";
import type { Logger } from "./logger.ts";

/** The interceptor writing each call's log lines; at -v 0/1 a call pays one comparison. */
export function callLog(log: Logger): Interceptor {
  const dumps = (call: Call) => call.row !== undefined && log.v >= call.row.log;
  const json = () => log.format === "json";

  const entered = (call: Call) => {
    if (dumps(call) && !json())
      log.log(0, "I", "proxy.ts", `ENTER: ${call.path}(${text(call.row!.method.input, call.request)})${traced(call)}`);
  };
  const left = async (call: Call, started: number, answer?: Answer) => {
    if (!dumps(call)) return;
    if (!json()) {
      const shown = answer === undefined ? "" : `: ${text(call.row!.method.output, await answerBytes(answer))}`;
      log.log(0, "I", "proxy.ts", `LEAVE: ${call.path} on ${routesOf(call)} in ${ms(started)}${traced(call)}${shown}`);
      return;
    }
    const ids = pickIds(call.row!.method.input, call.request, {});
    if (answer !== undefined && namesIds(call.row!.method.output))
      pickIds(call.row!.method.output, await answerBytes(answer), ids);
    log.log(call.row!.log, "I", "proxy.ts", call.path, fields(call, started, "OK", ids));
  };
  const failed = (call: Call, started: number, e: unknown) => {
    const err = ConnectError.from(e);
    // kubelet hanging up (a relist it gave up on, an events stream it ends) is not a failure.
    const canceled = err.code === Code.Canceled && call.signal.aborted;
    if (log.v < (canceled ? 3 : 2)) return;
    const severity = canceled ? "I" : "E";
    const what = canceled ? "CANCELED by the client" : "FAIL";
    if (!json())
      return log.log(
        0,
        severity,
        "proxy.ts",
        `${what}: ${call.path} on ${routesOf(call)} in ${ms(started)}${traced(call)}: ${codeName(err)}: ${err.rawMessage}`,
      );
    const ids = call.row ? pickIds(call.row.method.input, call.request, {}) : {};
    log.log(
      canceled ? 3 : 2,
      severity,
      "proxy.ts",
      `${what}: ${call.path}: ${err.rawMessage}`,
      fields(call, started, codeName(err), ids),
    );
  };

  return (next) => ({
    async unary(call) {
      if (log.v < 2) return next.unary(call);
      const started = performance.now();
      entered(call);
      let answer: Answer;
      try {
        answer = await next.unary(call);
      } catch (e) {
        failed(call, started, e);
        throw e;
      }
      // The answer goes to kubelet now; its line follows once it has fully arrived (and shows it, so it is kept).
      if (dumps(call)) for (const part of rawParts(answer)) part.retain();
      answerEnded(rawParts(answer)).then(
        () => left(call, started, answer).catch(() => {}),
        (e) => failed(call, started, e),
      );
      return answer;
    },
    async stream(call, send) {
      if (log.v < 2) return next.stream(call, send);
      const started = performance.now();
      entered(call);
      try {
        await next.stream(call, send);
      } catch (e) {
        failed(call, started, e);
        throw e;
      }
      await left(call, started);
    },
  });
}

function fields(call: Call, started: number, code: string, ids: Record<string, string>): Record<string, unknown> {
  return {
    method: methodOf(call),
    backend: call.routedTo.length ? call.routedTo.join(",") : undefined,
    duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
    code,
    trace_id: traceIdOf(call.span, call.metadata),
    ...ids,
  };
}

/** ` trace_id=ID` when the call has a trace (criproxy's span, or the trace context the client sent), else nothing. */
function traced(call: Call): string {
  const id = traceIdOf(call.span, call.metadata);
  return id === undefined ? "" : ` trace_id=${id}`;
}

const ms = (started: number) => `${(performance.now() - started).toFixed(1)}ms`;

/** A message as one line of JSON (strings escaped); bytes that do not decode are shown as such. */
function text(schema: DescMessage, bytes: Uint8Array): string {
  try {
    return toJsonString(schema, fromBinary(schema, bytes));
  } catch (e) {
    return `<${bytes.length} bytes that do not decode as ${schema.typeName}: ${(e as Error).message}>`;
  }
}
