// The call pipeline of one configuration: the routing core decides (route), this carries the
// plan out over the runtimes — one runtime, a fan-out, a stream, or the events merge.
import { toBinary, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import { unaryRaw } from "../backends/raw-call.ts";
import { route, type Plan } from "../core/route.ts";
import type { Answer } from "../grpc/answer.ts";
import type { Call, Handlers } from "../grpc/call.ts";
import { targetOf } from "./api-target.ts";
import { callContext, type PipelineOptions } from "./call-context.ts";
import { decodeRequest } from "./codec.ts";
import { createEvents } from "./events.ts";
import { createFanOut } from "./fan-out.ts";
import { refuseIfOpen } from "./named-part.ts";
import { createPodFollow } from "./pod-follow.ts";
import { createStreamCalls } from "./stream-calls.ts";

/** The handlers the server dispatches to, for one configuration. */
export function createPipeline(opts: PipelineOptions): Handlers {
  const ctx = callContext(opts);
  const { primary } = ctx;
  const fanOut = createFanOut(ctx);
  const streams = createStreamCalls(ctx);
  const events = createEvents(ctx);
  const follow = createPodFollow(ctx);

  /** Calls one runtime and returns its answer as kubelet must see it. */
  async function one(call: Call, backend: Backend, message: Uint8Array): Promise<Answer> {
    const callOpts = ctx.callOptions(call);
    call.routedTo.push(backend.label);
    refuseIfOpen(ctx, backend);
    await ctx.whenReady(backend, callOpts);
    const t = targetOf(call, backend, message);
    return ctx.rewrite.answer(call.row, backend, await unaryRaw(backend, t.path, t.message, callOpts));
  }

  /** The plan for a call; undefined when it goes to the primary untouched (no decode at all). */
  function plan(call: Call): Plan | undefined | Promise<Plan> {
    const row = call.row;
    // Unknown methods (a newer kubelet) and primary-only methods go through as bytes; with no
    // named runtime configured, everything does but UpdateRuntimeConfig, which a runtime
    // added later by a reload must still get. The table is read per call: reports change it.
    const table = ctx.table;
    if (!row || row.kind === "primary" || (table.names.length === 0 && table.handlers.size === 0 && row.kind !== "all"))
      return undefined;
    // Image calls read where pods run: right after a start, the named runtimes' pods are listed first.
    const planned = () => route(row, decodeRequest(row.method.input, call.request, call.path), ctx.table, follow.view);
    if ((row.kind === "image" || row.method.name === "ListImages") && ctx.runtimes.podsUnknown())
      return ctx.runtimes.podsKnown(ctx.budgetMs).then(planned);
    return planned();
  }

  function backendOf(name: string): Backend {
    const b = ctx.byName.get(name);
    if (!b) throw new ConnectError(`internal: route named unknown runtime ${JSON.stringify(name)}`, Code.Internal);
    return b;
  }

  const requestFor = (call: Call, request: Message | undefined) =>
    request ? toBinary(call.row!.method.input, request) : call.request;

  return {
    async unary(call) {
      const planned = plan(call);
      const p = planned instanceof Promise ? await planned : planned;
      call.span?.set("criproxy.plan", p?.kind ?? "forward");
      if (p === undefined) return one(call, primary, call.request);
      switch (p.kind) {
        case "error":
          throw p.error;
        case "empty":
          return new Uint8Array(0); // every field unset: the empty answer
        case "one": {
          const b = backendOf(p.backend);
          return follow.one(call, p, b, () => one(call, b, requestFor(call, p.request)));
        }
        case "lookup":
          return follow.lookup(call, p);
        case "fan-out":
          return fanOut(call);
      }
    },
    async stream(call, send) {
      const planned = plan(call);
      const p = planned instanceof Promise ? await planned : planned;
      call.span?.set("criproxy.plan", p?.kind ?? "forward");
      if (p === undefined) return streams.one(call, primary, call.request, send);
      switch (p.kind) {
        case "error":
          throw p.error;
        case "empty":
          return;
        case "one":
          return streams.one(call, backendOf(p.backend), requestFor(call, p.request), send);
        case "lookup": // only unary image calls are lookups
        case "fan-out":
          return call.row!.kind === "events" ? events(call, send) : streams.fanIn(call, send);
      }
    },
  };
}
