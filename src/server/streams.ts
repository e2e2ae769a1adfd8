// Server-streaming calls: one runtime's stream, the Stream* lists fanned in, and
// GetContainerEvents merged from every runtime for as long as kubelet listens.
import { ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import { streamRaw, type CallOptions } from "../backends/raw-call.ts";
import type { Call } from "./call.ts";
import type { ProxyContext } from "./proxy.ts";

/** How soon a named runtime's broken event stream is tried again while it still looks ready. */
const REJOIN_MS = 1000;

export function createStreams(ctx: ProxyContext) {
  const { primary, named, log } = ctx;
  // Streams are open-ended: only kubelet's own deadline applies, not --request-timeout.
  const streamOptions = (call: Call, signal = call.signal): CallOptions => ({ deadline: call.deadline, signal });
  const forward = (call: Call, b: Backend, send: (m: Uint8Array) => void) => (msg: Buffer) => send(ctx.rewrite.message(call.row, b, msg));

  /** One runtime's stream, each message rewritten as kubelet must see it. */
  async function one(call: Call, b: Backend, message: Uint8Array, send: (m: Uint8Array) => void): Promise<void> {
    call.routedTo.push(b.label);
    await ctx.whenReady(b, streamOptions(call));
    await streamRaw(b, call.path, message, forward(call, b, send), streamOptions(call));
  }

  /** A Stream* list from every ready runtime; the primary's failure fails the call, a named one's is left out. */
  async function fanIn(call: Call, send: (m: Uint8Array) => void): Promise<void> {
    const stop = new AbortController();
    call.signal.addEventListener("abort", () => stop.abort());
    const opts = streamOptions(call, stop.signal);
    await ctx.whenReady(primary, opts);
    const runs = [primary, ...named.filter((b) => b.state === "ready")].map(async (b) => {
      call.routedTo.push(b.label);
      try {
        await streamRaw(b, call.path, call.request, forward(call, b, send), opts);
      } catch (e) {
        if (b === primary) {
          stop.abort();
          throw e;
        }
        log.log(2, "W", "streams.ts", `${call.path}: runtime ${b.label} left out: ${ConnectError.from(e).message}`);
      }
    });
    await Promise.all(runs);
  }

  /**
   * GetContainerEvents from every runtime. A named runtime that connects later joins; one whose
   * stream breaks rejoins when it is back. The primary's stream ending ends kubelet's, with the
   * primary's status, so kubelet re-subscribes.
   */
  function events(call: Call, send: (m: Uint8Array) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const active = new Map<Backend, AbortController>();
      const unsubscribe: (() => void)[] = [];
      let finished = false;
      const finish = (err?: unknown) => {
        if (finished) return;
        finished = true;
        for (const c of active.values()) c.abort();
        for (const u of unsubscribe) u();
        err === undefined ? resolve() : reject(err);
      };
      const join = (b: Backend) => {
        if (finished || active.has(b) || b.state !== "ready") return;
        const stop = new AbortController();
        active.set(b, stop);
        if (!call.routedTo.includes(b.label)) call.routedTo.push(b.label);
        streamRaw(b, call.path, call.request, forward(call, b, send), streamOptions(call, stop.signal)).then(
          () => left(b),
          (e) => left(b, e),
        );
      };
      const left = (b: Backend, err?: unknown) => {
        active.delete(b);
        if (finished) return;
        if (b === primary) return finish(err);
        log.log(2, "W", "streams.ts", `events of runtime ${b.label} ended${err ? `: ${ConnectError.from(err).message}` : ""}; rejoining when it is back`);
        setTimeout(() => join(b), REJOIN_MS).unref?.();
      };
      call.signal.addEventListener("abort", () => finish());
      ctx.whenReady(primary, streamOptions(call)).then(() => {
        join(primary);
        for (const b of named) {
          unsubscribe.push(b.subscribe(join));
          join(b);
        }
      }, finish);
    });
  }

  return { one, fanIn, events };
}
