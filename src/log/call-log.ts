// Per-call records for --log-format json, as an interceptor around the handlers (the text
// format's ENTER/LEAVE dumps are src/server/logging.ts): one object per call with method,
// runtimes, duration, code and the ids and image the call names, at the method's -v level;
// failed calls at -v 2.
import { fromBinary, ScalarType, type DescMessage } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { answerBytes, answerEnded, rawParts } from "../metrics/answer-end.ts";
import { codeName, methodOf } from "../metrics/metrics-interceptor.ts";
import type { Answer, Call, Handlers } from "../server/call.ts";
import type { NodeLogger } from "./node-logger.ts";

/** Wraps handlers with one JSON-friendly record per call. */
export function withCallRecords(inner: Handlers, log: NodeLogger): Handlers {
  const wanted = (call: Call) => call.row !== undefined && log.v >= call.row.log;
  const record = (call: Call, started: number, ids: Record<string, string>, e?: unknown) => {
    const failed = e !== undefined;
    if (!(failed ? log.v >= 2 : wanted(call))) return;
    const err = failed ? ConnectError.from(e) : undefined;
    log.record(failed ? 2 : call.row!.log, failed ? "E" : "I", "proxy.ts", failed ? `FAIL: ${call.path}: ${err!.rawMessage}` : call.path, {
      method: methodOf(call),
      backend: call.routedTo.length ? call.routedTo.join(",") : undefined,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      code: failed ? codeName(e) : "OK",
      ...requestIds(call),
      ...ids,
    });
  };
  return {
    async unary(call) {
      const started = performance.now();
      let answer: Answer;
      try {
        answer = await inner.unary(call);
      } catch (e) {
        record(call, started, {}, e);
        throw e;
      }
      // The answer goes to kubelet now; the record follows once it has fully arrived.
      if (wanted(call) || log.v >= 2) {
        answerEnded(rawParts(answer))
          .then(async () => record(call, started, wanted(call) ? await answerIds(call, answer) : {}))
          .catch((e) => record(call, started, {}, e));
      }
      return answer;
    },
    async stream(call, send) {
      const started = performance.now();
      try {
        await inner.stream(call, send);
        record(call, started, {});
      } catch (e) {
        record(call, started, {}, e);
        throw e;
      }
    },
  };
}

/** The ids and image a request names, as kubelet sent them. */
function requestIds(call: Call): Record<string, string> {
  const out: Record<string, string> = {};
  if (call.row) pick(call.row.method.input, call.request, out);
  return out;
}

/** The ids a create or pull answer returns (small answers: read whole). */
async function answerIds(call: Call, answer: Answer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (call.row && namesIds(call.row.method.output)) pick(call.row.method.output, await answerBytes(answer), out);
  return out;
}

const idField = (name: string) => name.endsWith("_id") || name === "image_ref";

function namesIds(schema: DescMessage): boolean {
  return schema.fields.some((f) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING && idField(f.name));
}

function pick(schema: DescMessage, bytes: Uint8Array, out: Record<string, string>): void {
  let msg: Record<string, unknown>;
  try {
    msg = fromBinary(schema, bytes) as unknown as Record<string, unknown>;
  } catch {
    return; // the call's own error says what was wrong with it
  }
  for (const f of schema.fields) {
    const value = msg[f.localName];
    if (f.fieldKind === "scalar" && f.scalar === ScalarType.STRING && idField(f.name) && value) out[f.name] = String(value);
    if (f.fieldKind === "message" && f.message.typeName === "runtime.v1.ImageSpec" && value) out.image = String((value as { image: string }).image);
    if (f.fieldKind === "message" && f.name === "config" && value) {
      const config = value as { metadata?: { name?: string; namespace?: string }; image?: { image?: string } };
      if (config.metadata?.name) out.name = config.metadata.namespace ? `${config.metadata.namespace}/${config.metadata.name}` : config.metadata.name;
      if (config.image?.image) out.image = config.image.image;
    }
  }
}
