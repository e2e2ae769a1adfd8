// How the hostile runtime misbehaves, and the catalogue of cases the fault tests run with
// what kubelet must see when that runtime's answer is the one that counts.
import { Code } from "@connectrpc/connect";
import { constants } from "node:http2";

/** Where in the answer the fault happens: before any headers, after them, or after some of the body. */
export type At = "before-headers" | "after-headers" | "after-data";

/** One misbehaviour; `times` limits it to that many calls (then the path answers normally). */
export type Behaviour =
  | { action: "reset"; at: At; rstCode: number; times?: number }
  | { action: "stall"; at: At; times?: number }
  | { action: "status"; at: At; code: Code; message: string; times?: number }
  | { action: "goaway"; at: At; rstCode?: number; times?: number }
  | { action: "close"; at: At; times?: number }
  /** garbage: the (last) message does not decode; truncated: its length prefix claims 10 bytes more than sent. */
  | { action: "garbage" | "truncated"; times?: number }
  /** oversize: a valid message past 16 MiB; oversize-prefix: a prefix claiming 16 MiB + 1, then a stall. */
  | { action: "oversize" | "oversize-prefix"; times?: number };

/** What kubelet sees from a call whose answer is this runtime's alone (or the primary's part of a fan-out). */
export interface Outcome {
  /** Acceptable gRPC codes (0: OK). */
  readonly codes: readonly Code[] | readonly 0[];
  /** The error's message names the runtime (false where kubelet's own client may be the one to find the fault). */
  readonly namesRuntime: boolean;
  /** The runtime's grpc-message reaches kubelet verbatim (provoke makes the sent one unique per case). */
  readonly message?: string;
  /** The runtime never finishes: only a deadline or a budget ends the call. */
  readonly stall: boolean;
}

export interface HostileCase {
  readonly name: string;
  readonly behaviour: Behaviour;
  readonly alone: Outcome;
}

const POINTS: readonly At[] = ["before-headers", "after-headers", "after-data"];

/** The RST_STREAM codes tried at every point. */
export const RST_CODES: Readonly<Record<string, number>> = {
  NO_ERROR: constants.NGHTTP2_NO_ERROR,
  PROTOCOL_ERROR: constants.NGHTTP2_PROTOCOL_ERROR,
  INTERNAL_ERROR: constants.NGHTTP2_INTERNAL_ERROR,
  FLOW_CONTROL_ERROR: constants.NGHTTP2_FLOW_CONTROL_ERROR,
  REFUSED_STREAM: constants.NGHTTP2_REFUSED_STREAM,
  CANCEL: constants.NGHTTP2_CANCEL,
  ENHANCE_YOUR_CALM: constants.NGHTTP2_ENHANCE_YOUR_CALM,
};

const ok: Outcome = { codes: [0], namesRuntime: false, stall: false };
// A runtime's reset, GOAWAY or dropped connection says nothing about kubelet's request: retry
// later. (grpc-go maps some RST codes to Internal, Canceled or ResourceExhausted; from a proxy
// those would read as kubelet's own fault or its own cancel.)
const unavailable: Outcome = { codes: [Code.Unavailable], namesRuntime: true, stall: false };
const status = (code: Code, message: string): Outcome => ({
  codes: [code],
  namesRuntime: false,
  message,
  stall: false,
});

/** Every misbehaviour the fault tests run, with its outcome when it is the answer that counts. */
export function hostileCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const [name, rstCode] of Object.entries(RST_CODES)) {
    for (const at of POINTS)
      cases.push({ name: `reset ${name} ${at}`, behaviour: { action: "reset", at, rstCode }, alone: unavailable });
  }
  // A stream refused before any answer was not processed: sending it again is safe and invisible.
  cases.push({
    name: "reset REFUSED_STREAM before-headers, once",
    behaviour: { action: "reset", at: "before-headers", rstCode: constants.NGHTTP2_REFUSED_STREAM, times: 1 },
    alone: ok,
  });
  for (const at of ["after-headers", "after-data"] as const) {
    cases.push({
      name: `stall ${at}`,
      behaviour: { action: "stall", at },
      alone: { codes: [Code.DeadlineExceeded], namesRuntime: false, stall: true },
    });
  }
  cases.push({
    name: "garbage message",
    behaviour: { action: "garbage" },
    alone: { codes: [Code.Internal], namesRuntime: false, stall: false },
  });
  cases.push({
    name: "truncated message",
    behaviour: { action: "truncated" },
    alone: { codes: [Code.Internal], namesRuntime: false, stall: false },
  });
  cases.push({
    name: "oversize message",
    behaviour: { action: "oversize" },
    alone: { codes: [Code.ResourceExhausted], namesRuntime: true, stall: false },
  });
  cases.push({
    name: "oversize length prefix",
    behaviour: { action: "oversize-prefix" },
    alone: { codes: [Code.ResourceExhausted], namesRuntime: true, stall: false },
  });
  const statuses: [string, At, Code, string][] = [
    ["trailers-only Unknown", "before-headers", Code.Unknown, "failed to pull image: not found"],
    ["trailers-only NotFound", "before-headers", Code.NotFound, 'an object "x" was not found'],
    ["trailers-only Unimplemented", "before-headers", Code.Unimplemented, "unknown method"],
    ["Unknown after data", "after-data", Code.Unknown, "task failed mid-answer"],
  ];
  for (const [name, at, code, message] of statuses)
    cases.push({ name, behaviour: { action: "status", at, code, message }, alone: status(code, message) });
  // GOAWAY with the stream below last-stream-id left it unprocessed: a retry is as good as Unavailable.
  cases.push({
    name: "GOAWAY before-headers",
    behaviour: { action: "goaway", at: "before-headers" },
    alone: { ...unavailable, codes: [0, Code.Unavailable] as Code[] },
  });
  for (const at of ["after-headers", "after-data"] as const)
    cases.push({ name: `GOAWAY ${at}`, behaviour: { action: "goaway", at }, alone: unavailable });
  for (const at of POINTS)
    cases.push({ name: `connection closed ${at}`, behaviour: { action: "close", at }, alone: unavailable });
  return cases;
}

/** A case by name (for tests that run a few). */
export function hostileCase(name: string): HostileCase {
  const c = hostileCases().find((x) => x.name === name);
  if (!c) throw new Error(`no hostile case ${name}`);
  return c;
}
