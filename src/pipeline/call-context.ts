// What every part of the pipeline shares for one configuration: the runtimes, the routing
// table, deadlines, waiting for a runtime, and rewriting its answers for kubelet.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import type { CallOptions } from "../backends/raw-call.ts";
import type { RoutingTable } from "../core/routing-table.ts";
import type { Call } from "../grpc/call.ts";
import type { Logger } from "../log/logger.ts";
import { answerRewriter, type AnswerRewriter } from "./answer-rewriter.ts";
import type { LastKnown } from "./last-known.ts";
import { liveTable } from "./live-table.ts";
import type { RuntimeSet } from "./runtime-set.ts";

export interface PipelineOptions {
  readonly runtimes: RuntimeSet;
  /** The configuration's routing table; the handlers runtimes report are laid over it per call. */
  readonly table: RoutingTable;
  /** How long a call waits for a runtime that is not ready. */
  readonly connectTimeoutMs: number;
  /** Deadline for a runtime call when kubelet sent none (0: none). */
  readonly requestTimeoutMs: number;
  /** How long lists keep a vanished runtime's last-known objects. */
  readonly staleGraceMs: number;
  /**
   * A named runtime's budget for its whole part of a fan-out (headers, every byte, decoding):
   * a slow or stalled runtime must not stall kubelet's relist, whose deadline is 2 minutes.
   */
  readonly fanOutBudgetMs: number;
  /** Base URL for path-only streaming URLs. */
  readonly streamUrl: string | undefined;
  readonly log: Logger;
}

/** The shared context of one configuration's calls. */
export interface CallContext extends PipelineOptions {
  /** The routing table now: the configuration's, with what runtimes report (read it per call). */
  readonly table: RoutingTable;
  readonly primary: Backend;
  readonly named: readonly Backend[];
  readonly byName: ReadonlyMap<string, Backend>;
  readonly lastKnown: LastKnown;
  readonly rewrite: AnswerRewriter;
  /** A named runtime's budget for its part of a fan-out. */
  readonly budgetMs: number;
  /** Options for a runtime call: kubelet's deadline (or ours), optionally capped; its metadata and span; the runtime's answer metadata kept for kubelet. */
  callOptions(call: Call, capMs?: number): CallOptions;
  /** Waits (bounded) until `backend` is ready: Unavailable when it does not come, DeadlineExceeded when kubelet's deadline runs out first. */
  whenReady(backend: Backend, callOpts: CallOptions): Promise<void>;
  /**
   * Whether a named runtime can take part in a fan-out: ready, or connecting and ready within
   * the fan-out's budget (right after the proxy starts no runtime has answered yet; leaving one
   * out then would read to kubelet as all its pods gone). One that is down is not waited for.
   */
  joins(backend: Backend, call: Call): Promise<boolean>;
}

/** Builds the context from the runtimes configured now. */
export function callContext(opts: PipelineOptions): CallContext {
  const [primary, ...named] = opts.runtimes.backends;
  const table = liveTable(opts.table, opts.runtimes.handlers, opts.log);
  return {
    ...opts,
    get table() {
      return table();
    },
    primary,
    named,
    byName: new Map([primary, ...named].map((b) => [b.name, b])),
    lastKnown: opts.runtimes.lastKnown,
    rewrite: answerRewriter(table, opts.streamUrl),
    budgetMs: opts.fanOutBudgetMs,
    callOptions(call, capMs) {
      let deadline = call.deadline;
      if (deadline === undefined && opts.requestTimeoutMs > 0) deadline = Date.now() + opts.requestTimeoutMs;
      if (capMs !== undefined) deadline = Math.min(deadline ?? Infinity, Date.now() + capMs);
      return {
        deadline,
        signal: call.signal,
        ledger: call.ledger,
        metadata: call.metadata,
        span: call.span,
        answer: call.answerMetadata,
      };
    },
    async joins(backend, call) {
      if (backend.state === "ready") return true;
      if (backend.state === "down") return false;
      return this.whenReady(backend, this.callOptions(call, opts.fanOutBudgetMs)).then(
        () => true,
        () => false,
      );
    },
    async whenReady(backend, callOpts) {
      if (backend.state === "ready") return;
      // The chicken-and-egg: a named runtime that is down fails fast; kubelet retries.
      const wait = backend !== primary && backend.state === "down" ? 0 : opts.connectTimeoutMs;
      const left = callOpts.deadline === undefined ? Infinity : callOpts.deadline - Date.now();
      try {
        await backend.ready(Math.min(wait, left));
      } catch (e) {
        // kubelet's deadline ended the wait, not ours: that is DeadlineExceeded, as grpc-go would say.
        if (left > wait || Date.now() < callOpts.deadline! - 20) throw e;
        throw new ConnectError(
          `deadline exceeded waiting for runtime ${backend.label} (unix://${backend.socket}) to connect`,
          Code.DeadlineExceeded,
        );
      }
    },
  };
}
