// The proxy's calls: the routing core decides, this carries the plan out over the backends.
import { toBinary, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import { unaryRaw, type CallOptions } from "../backends/raw-call.ts";
import type { MethodRow } from "../core/methods.ts";
import { route, type Plan } from "../core/route.ts";
import type { RoutingTable } from "../core/routing-table.ts";
import type { Logger } from "../log/klog.ts";
import type { Answer, Call, Handlers } from "./call.ts";
import { decodeRequest } from "./codec.ts";
import { createFanOut } from "./fan-out.ts";
import { LastKnown } from "./last-known.ts";
import { answerRewriter, type AnswerRewriter } from "./rewrite-answer.ts";
import { createStreams } from "./streams.ts";

export interface ProxyOptions {
  readonly primary: Backend;
  readonly named: readonly Backend[];
  readonly table: RoutingTable;
  /** How long a call waits for a backend that is not ready. */
  readonly connectTimeoutMs: number;
  /** Deadline for a backend call when kubelet sent none (0: none). */
  readonly requestTimeoutMs: number;
  /** How long lists keep a vanished runtime's last-known objects. */
  readonly staleGraceMs: number;
  /** Base URL for path-only streaming URLs. */
  readonly streamUrl: string | undefined;
  readonly log: Logger;
  /** The last-known lists, kept across reloads (a new one when absent). */
  readonly lastKnown?: LastKnown;
}

/** The proxy's handlers, and `dispose` to drop its subscriptions when a reload replaces it. */
export interface Proxy extends Handlers {
  dispose(): void;
}

/** Per-backend deadline of a fan-out call: a slow named runtime must not stall kubelet's relist. */
export const FANOUT_TIMEOUT_MS = 5000;

/** What the fan-out and stream parts share: backends, deadlines, answer rewriting. */
export interface ProxyContext extends ProxyOptions {
  readonly byName: ReadonlyMap<string, Backend>;
  readonly lastKnown: LastKnown;
  /** Options for a backend call: kubelet's deadline (or ours), optionally capped. */
  callOptions(call: Call, capMs?: number): CallOptions;
  /** Waits (bounded) until `backend` is ready; named runtimes that are down fail fast. */
  whenReady(backend: Backend, callOpts: CallOptions): Promise<void>;
  /** A backend's answers as kubelet must see them (prefixed ids, absolute URLs). */
  readonly rewrite: AnswerRewriter;
}

/** The handlers the server dispatches to. */
export function createProxy(opts: ProxyOptions): Proxy {
  const { primary, table } = opts;
  const ctx: ProxyContext = {
    ...opts,
    byName: new Map([primary, ...opts.named].map((b) => [b.name, b])),
    lastKnown: opts.lastKnown ?? new LastKnown(opts.staleGraceMs),
    callOptions(call, capMs) {
      let deadline = call.deadline;
      if (deadline === undefined && opts.requestTimeoutMs > 0) deadline = Date.now() + opts.requestTimeoutMs;
      if (capMs !== undefined) deadline = Math.min(deadline ?? Infinity, Date.now() + capMs);
      return { deadline, signal: call.signal };
    },
    async whenReady(backend, callOpts) {
      if (backend.state === "ready") return;
      // The chicken-and-egg: a named runtime that is down fails fast; kubelet retries.
      const wait = backend !== primary && backend.state === "down" ? 0 : opts.connectTimeoutMs;
      const left = callOpts.deadline === undefined ? Infinity : callOpts.deadline - Date.now();
      await backend.ready(Math.min(wait, left));
    },
    rewrite: answerRewriter(table, opts.streamUrl),
  };
  const fanOut = createFanOut(ctx);
  const streams = createStreams(ctx);

  /** Calls one backend and returns its answer as kubelet must see it. */
  async function one(call: Call, backend: Backend, message: Uint8Array): Promise<Answer> {
    const callOpts = ctx.callOptions(call);
    call.routedTo.push(backend.label);
    await ctx.whenReady(backend, callOpts);
    return ctx.rewrite.answer(call.row, backend, await unaryRaw(backend, call.path, message, callOpts));
  }

  /** The plan for a call; undefined when it goes to the primary untouched (no decode at all). */
  function plan(call: Call): Plan | undefined {
    const row = call.row;
    // Unknown methods (a newer kubelet) and primary-only methods go through as bytes;
    // with no named runtime configured, everything does.
    if (!row || row.kind === "primary" || (table.names.length === 0 && table.handlers.size === 0)) return undefined;
    return route(row, decodeRequest(row.method.input, call.request, call.path), table);
  }

  function backendOf(name: string): Backend {
    const b = ctx.byName.get(name);
    if (!b) throw new ConnectError(`internal: route named unknown runtime ${JSON.stringify(name)}`, Code.Internal);
    return b;
  }

  return {
    dispose: fanOut.dispose,
    async unary(call) {
      const p = plan(call);
      if (p === undefined) return one(call, primary, call.request);
      switch (p.kind) {
        case "error":
          throw p.error;
        case "empty":
          return new Uint8Array(0); // every field unset: the empty answer
        case "one":
          return one(call, backendOf(p.backend), p.request ? encodeFor(call, p.request) : call.request);
        case "fan-out":
          return fanOut.call(call);
      }
    },
    async stream(call, send) {
      const p = plan(call);
      if (p === undefined) return streams.one(call, primary, call.request, send);
      switch (p.kind) {
        case "error":
          throw p.error;
        case "empty":
          return;
        case "one":
          return streams.one(call, backendOf(p.backend), p.request ? encodeFor(call, p.request) : call.request, send);
        case "fan-out":
          return call.row!.kind === "events" ? streams.events(call, send) : streams.fanIn(call, send);
      }
    },
  };
}

function encodeFor(call: Call, request: Message): Uint8Array {
  return toBinary(call.row!.method.input, request);
}
