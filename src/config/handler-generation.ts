// One configuration's handlers, as served between two reloads. A reload swaps in a new
// generation; the old one finishes its calls (bounded), ends its streams so kubelet
// re-subscribes to the new backends, and only then are removed runtimes closed.
import type { Call, Handlers } from "../server/call.ts";

/** Handlers that count their in-flight calls and can be retired. */
export class Generation {
  readonly handlers: Handlers;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private readonly retiring = new AbortController();

  constructor(inner: Handlers) {
    this.handlers = {
      unary: (call) => this.track(() => inner.unary(call)),
      stream: (call, send) => this.track(() => inner.stream(this.bound(call), send)),
    };
  }

  /** Calls of this generation not finished yet. */
  get running(): number {
    return this.inFlight;
  }

  /**
   * Ends this generation's streams (GetContainerEvents ends OK; kubelet subscribes again, to the
   * new generation), then resolves once its unary calls are done, or after `maxMs`: true if drained.
   */
  retire(maxMs: number): Promise<boolean> {
    this.retiring.abort();
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle = undefined;
        resolve(false);
      }, maxMs);
      timer.unref?.();
      this.idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  private async track<T>(run: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await run();
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  // A stream of this generation stops when kubelet cancels it or the generation retires.
  private bound(call: Call): Call {
    return { ...call, signal: AbortSignal.any([call.signal, this.retiring.signal]) };
  }
}
