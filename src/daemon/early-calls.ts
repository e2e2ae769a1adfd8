// Calls that arrive in the tens of milliseconds between the socket being bound and the routing
// being loaded (daemon.ts): kubelet's first call after a restart is Version, which goes to a
// v1 primary untouched whatever the configuration, so it is forwarded as bytes at once (through
// `wrap`: metrics and logs); every other call waits for the routing, whose handlers wrap theirs.
import type { Backend } from "../backends/backend.ts";
import { unaryRaw } from "../backends/raw-call.ts";
import { methodKinds } from "../core/method-kinds.ts";
import type { Call, Handlers } from "../grpc/call.ts";

/** How long after binding the routing loads when no call has asked for it: kubelet's first Version goes first. */
const ROUTING_AFTER_MS = 25;

/** The routing, loaded once: when a call first needs it, or `start()` plus a moment. */
export function lazily<T>(load: () => Promise<T>): { get(): Promise<T>; start(): void; readonly value: T | undefined } {
  let promise: Promise<T> | undefined;
  let value: T | undefined;
  const get = () => (promise ??= load().then((v) => (value = v)));
  return {
    get,
    start: () => void setTimeout(get, ROUTING_AFTER_MS),
    get value() {
      return value;
    },
  };
}

/** The handlers until the routing is loaded (`later()`: loads it if need be, resolving with its handlers). */
export function earlyHandlers(
  primary: Backend,
  timeouts: { connectTimeoutMs: number; requestTimeoutMs: number },
  later: () => Promise<Handlers>,
  wrap: (h: Handlers) => Handlers,
): Handlers {
  const forward = wrap({
    async unary(call) {
      const deadline =
        call.deadline ?? (timeouts.requestTimeoutMs > 0 ? Date.now() + timeouts.requestTimeoutMs : undefined);
      await primary.ready(
        Math.min(timeouts.connectTimeoutMs, deadline === undefined ? Infinity : deadline - Date.now()),
      );
      // The primary's own API must be v1: a v1alpha2 primary needs its path translated by the routing.
      if (primary.api !== "v1") return (await later()).unary(call);
      call.routedTo.push(primary.label);
      return unaryRaw(primary, call.path, call.request, {
        deadline,
        signal: call.signal,
        ledger: call.ledger,
        metadata: call.metadata,
        answer: call.answerMetadata,
        span: call.span,
      });
    },
    stream: async (call, send) => (await later()).stream(call, send),
  });
  const now = (call: Call) => methodKinds.get(call.path)?.kind === "primary" && primary.api !== "v1alpha2";
  return {
    unary: async (call) => (now(call) ? forward.unary(call) : (await later()).unary(call)),
    stream: async (call, send) => (await later()).stream(call, send),
  };
}
