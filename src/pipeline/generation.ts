// One configuration's handlers, as served between two reloads. A reload swaps in a new
// generation; the old one finishes its calls (bounded), ends its streams so kubelet
// re-subscribes to the new backends, and only then are removed runtimes closed.
import { answerEnded, rawParts, type Answer } from "../grpc/answer.ts";
import type { Handlers } from "../grpc/call.ts";

/** Handlers that count their in-flight calls and can be retired. */
export class Generation {
  readonly handlers: Handlers;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private readonly retiring = new AbortController();

  constructor(inner: Handlers) {
    this.handlers = {
      unary: async (call) => {
        // Counted until the answer has fully arrived: a runtime's answer streams on after this returns.
        this.inFlight++;
        let answer: Answer;
        try {
          answer = await inner.unary(call);
        } catch (e) {
          this.finished();
          throw e;
        }
        answerEnded(rawParts(answer)).then(
          () => this.finished(),
          () => this.finished(),
        );
        return answer;
      },
      stream: (call, send) =>
        this.track(async () => {
          // A stream of this generation stops when kubelet cancels it or the generation retires.
          const stop = new AbortController();
          const abort = () => stop.abort();
          if (call.signal.aborted || this.retiring.signal.aborted) stop.abort();
          call.signal.addEventListener("abort", abort);
          this.retiring.signal.addEventListener("abort", abort);
          try {
            return await inner.stream({ ...call, signal: stop.signal }, send);
          } finally {
            // Listeners removed: a long-lived generation does not collect one per stream.
            call.signal.removeEventListener("abort", abort);
            this.retiring.signal.removeEventListener("abort", abort);
          }
        }),
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
    return this.drained(maxMs);
  }

  private drained(maxMs: number): Promise<boolean> {
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
      this.finished();
    }
  }

  private finished(): void {
    if (--this.inFlight === 0) this.idle?.();
  }
}
