// The proxy's calls: what each method does with the backends. The server moves bytes; this decides.
import type { Backend } from "../backends/backend.ts";
import { streamRaw, unaryRaw, type CallOptions } from "../backends/raw-call.ts";
import type { Answer, Call, Handlers } from "./call.ts";

export interface ProxyOptions {
  readonly primary: Backend;
  readonly named: readonly Backend[];
  /** How long a call waits for a backend that is not ready. */
  readonly connectTimeoutMs: number;
  /** Deadline for a backend call when kubelet sent none (0: none). */
  readonly requestTimeoutMs: number;
}

/** The handlers the server dispatches to. */
export function createProxy(opts: ProxyOptions): Handlers {
  const { primary } = opts;

  /** Calls one backend with `message`, waiting (bounded) for it to be ready. */
  async function callOne(backend: Backend, call: Call, message: Uint8Array): Promise<Buffer> {
    const callOpts = options(call);
    call.routedTo.push(backend.label);
    if (backend.state !== "ready") await backend.ready(waitFor(callOpts));
    return unaryRaw(backend, call.path, message, callOpts);
  }

  function options(call: Call): CallOptions {
    let deadline = call.deadline;
    if (deadline === undefined && opts.requestTimeoutMs > 0) deadline = Date.now() + opts.requestTimeoutMs;
    return { deadline, signal: call.signal };
  }

  function waitFor(callOpts: CallOptions): number {
    const left = callOpts.deadline === undefined ? Infinity : callOpts.deadline - Date.now();
    return Math.min(opts.connectTimeoutMs, left);
  }

  return {
    unary: (call): Promise<Answer> => callOne(primary, call, call.request),
    async stream(call, send) {
      const callOpts = options(call);
      call.routedTo.push(primary.label);
      if (primary.state !== "ready") await primary.ready(waitFor(callOpts));
      await streamRaw(primary, call.path, call.request, send, callOpts);
    },
  };
}
