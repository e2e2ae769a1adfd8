// GetContainerEvents merged from every runtime for as long as kubelet listens: a named runtime
// that connects later joins; one whose stream breaks rejoins (core/fan-out-policy.ts eventsEnd);
// one without events (v1alpha2) is polled for them (polled-events.ts); the primary's stream
// ending ends kubelet's, with the primary's status, so kubelet re-subscribes.
import { ConnectError } from "@connectrpc/connect";
import type { Backend } from "../backends/backend.ts";
import { streamRaw } from "../backends/raw-call.ts";
import { eventsEnd } from "../core/fan-out-policy.ts";
import type { Call } from "../grpc/call.ts";
import { missingMethod } from "../core/api-version.ts";
import { apiOf, hasMethod, targetOf } from "./api-target.ts";
import type { CallContext } from "./call-context.ts";
import { pollEvents } from "./polled-events.ts";
import type { Send } from "./stream-calls.ts";

/** The GetContainerEvents handler. */
export function createEvents(ctx: CallContext): (call: Call, send: Send) => Promise<void> {
  const { primary, named, log } = ctx;
  return (call, send) =>
    new Promise<void>((resolve, reject) => {
      const active = new Map<Backend, AbortController>();
      const quiet = new Set<Backend>(); // runtimes without events, until they reconnect
      const polls = new Map<Backend, AbortController>(); // their pollers, while they stay ready
      const rejoins = new Map<Backend, ReturnType<typeof setTimeout>>();
      const cleanup: (() => void)[] = [];
      let finished = false;
      const finish = (err?: unknown) => {
        if (finished) return;
        finished = true;
        for (const c of [...active.values(), ...polls.values()]) c.abort();
        for (const t of rejoins.values()) clearTimeout(t);
        for (const u of cleanup) u();
        err === undefined ? resolve() : reject(err);
      };
      const join = (b: Backend) => {
        if (finished || active.has(b) || quiet.has(b) || b.state !== "ready") return;
        // A primary whose API has no events fails the call (Unimplemented): kubelet falls back to relisting.
        if (!hasMethod(call, b)) {
          const err = missingMethod(call.path, b.label, apiOf(b));
          return b === primary ? finish(err) : ended(b, err);
        }
        const { path, message } = targetOf(call, b);
        const stop = new AbortController();
        active.set(b, stop);
        if (!call.routedTo.includes(b.label)) call.routedTo.push(b.label);
        const forward = (msg: Buffer) => send(ctx.rewrite.message(call.row, b, msg));
        // Every runtime gets kubelet's metadata; kubelet gets the primary's headers and trailers (README).
        const answer = b === primary ? call.answerMetadata : undefined;
        streamRaw(b, path, message, forward, {
          deadline: call.deadline,
          signal: stop.signal,
          metadata: call.metadata,
          span: call.span,
          answer,
        }).then(
          () => ended(b),
          (e) => ended(b, e),
        );
      };
      const ended = (b: Backend, err?: unknown) => {
        active.delete(b);
        if (finished) return;
        const code = err === undefined ? 0 : ConnectError.from(err).code;
        const next = eventsEnd(b === primary, code);
        if (next.kind === "end-call") return finish(err);
        const why = err ? `: ${ConnectError.from(err).message}` : "";
        if (next.kind === "poll") {
          quiet.add(b);
          if (polls.has(b)) return; // a poller from before a reconnect goes on, with its last listing
          log.log(
            1,
            "I",
            "events.ts",
            `runtime ${b.label} has no container events${why}; listing its sandboxes and containers every ${next.everyMs}ms for them`,
          );
          const stop = new AbortController();
          polls.set(b, stop);
          void pollEvents(ctx, call, b, send, next.everyMs, stop.signal).finally(
            () => polls.get(b) === stop && polls.delete(b),
          );
          return;
        }
        log.log(
          2,
          "W",
          "events.ts",
          `events of runtime ${b.label} ended${why}; rejoining in ${next.afterMs}ms or when it is back`,
        );
        clearTimeout(rejoins.get(b));
        const timer = setTimeout(() => (rejoins.delete(b), join(b)), next.afterMs);
        timer.unref?.();
        rejoins.set(b, timer);
      };
      const onAbort = () => finish();
      call.signal.addEventListener("abort", onAbort);
      cleanup.push(() => call.signal.removeEventListener("abort", onAbort));
      ctx.whenReady(primary, { deadline: call.deadline, signal: call.signal }).then(() => {
        join(primary);
        for (const b of named) {
          cleanup.push(
            b.subscribe((backend, previous) => {
              if (backend.state === "ready" && previous !== "ready") quiet.delete(backend);
              join(backend);
            }),
          );
          join(b);
        }
      }, finish);
    });
}
