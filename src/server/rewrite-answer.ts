// A backend's answer as kubelet must see it: ids and images prefixed for named runtimes,
// streaming URLs made absolute. The primary's answers to other methods pass as bytes.
import { toBinary, type DescMessage } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import type { Backend } from "../backends/backend.ts";
import type { MethodRow } from "../core/methods.ts";
import { toKubelet } from "../core/rewrite.ts";
import type { RoutingTable } from "../core/routing-table.ts";
import { absoluteStreamUrl } from "../core/stream-url.ts";
import { decodeAnswer } from "./codec.ts";

/** Exec, Attach and PortForward answer a `url` string field. */
const hasUrl = (schema: DescMessage) => schema.fields.some((f) => f.name === "url" && f.fieldKind === "scalar");

/** Returns the function that turns a backend's answer bytes into what kubelet gets. */
export function answerRewriter(table: RoutingTable, streamUrl: string | undefined) {
  return function rewrite(row: MethodRow | undefined, backend: Backend, answer: Buffer): Uint8Array {
    if (!row) return answer;
    const schema = row.method.output;
    const fixUrl = streamUrl !== undefined && hasUrl(schema);
    if (backend.name === "" && !fixUrl) return answer;
    const msg = decodeAnswer(schema, answer, backend.label);
    toKubelet(schema, msg, backend.name, table);
    if (fixUrl) {
      const r = reflect(schema, msg);
      const field = schema.fields.find((f) => f.name === "url")!;
      r.set(field, absoluteStreamUrl(r.get(field) as string, streamUrl));
    }
    return toBinary(schema, msg);
  };
}
