// A backend's answer as kubelet must see it: ids and images prefixed for named runtimes,
// streaming URLs made absolute. The primary's answers to other methods pass as bytes.
import { toBinary, type DescMessage } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import type { Backend } from "../backends/backend.ts";
import type { RawAnswer } from "../grpc/raw-answer.ts";
import type { MethodRow } from "../core/methods.ts";
import { toKubelet } from "../core/rewrite.ts";
import { toKubeletWire } from "../core/wire-rewrite.ts";
import { Code, ConnectError } from "@connectrpc/connect";
import type { RoutingTable } from "../core/routing-table.ts";
import { absoluteStreamUrl } from "../core/stream-url.ts";
import { v1alpha2Method } from "../core/api-version.ts";
import { decodeAnswer } from "./codec.ts";

/** Exec, Attach and PortForward answer a `url` string field. */
const hasUrl = (schema: DescMessage) => schema.fields.some((f) => f.name === "url" && f.fieldKind === "scalar");

export interface AnswerRewriter {
  /** A unary answer as kubelet gets it: the runtime's own bytes, flowing on, where nothing changes. */
  answer(row: MethodRow | undefined, backend: Backend, raw: RawAnswer): RawAnswer | Promise<Uint8Array>;
  /** One message (of a stream, or a joined answer) as kubelet gets it. */
  message(row: MethodRow | undefined, backend: Backend, bytes: Buffer): Uint8Array;
}

/** Returns the functions that turn a backend's answers into what kubelet gets, with the routing table current at each answer. */
export function answerRewriter(table: () => RoutingTable, streamUrl: string | undefined): AnswerRewriter {
  const changes = (row: MethodRow | undefined, backend: Backend) =>
    row !== undefined && (backend.name !== "" || (streamUrl !== undefined && hasUrl(row.method.output)));
  return {
    answer: (row, backend, raw) => (changes(row, backend) ? raw.message().then((m) => message(row, backend, m)) : raw),
    message: (row, backend, bytes) => (changes(row, backend) ? message(row, backend, bytes) : bytes),
  };

  function message(row: MethodRow | undefined, backend: Backend, answer: Buffer): Uint8Array {
    // A v1alpha2 runtime's answer is walked as the v1alpha2 message it is (its fields are v1's, test/core/api-diff.test.ts).
    const schema = (backend.api === "v1alpha2" ? v1alpha2Method(row!.path)?.output : undefined) ?? row!.method.output;
    const fixUrl = streamUrl !== undefined && hasUrl(schema);
    // Ids and images are rewritten on the wire: a full decode and encode cost ~4x more.
    if (!fixUrl) {
      try {
        return toKubeletWire(schema, answer, backend.name, table());
      } catch (e) {
        throw new ConnectError(
          `runtime ${backend.label} answered an invalid ${schema.typeName}: ${(e as Error).message}`,
          Code.Internal,
        );
      }
    }
    // Exec, Attach, PortForward: their url is completed as well.
    const msg = decodeAnswer(schema, answer, backend.label);
    toKubelet(schema, msg, backend.name, table());
    const r = reflect(schema, msg);
    const field = schema.fields.find((f) => f.name === "url")!;
    r.set(field, absoluteStreamUrl(r.get(field) as string, streamUrl));
    return toBinary(schema, msg);
  }
}
