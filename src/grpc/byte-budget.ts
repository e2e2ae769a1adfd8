// One budget for every byte the proxy holds on behalf of calls (request bodies, runtime
// answers being received or passed on, named parts being collected), so no client or runtime
// can grow memory without bound: past it, a call gets ResourceExhausted instead.
import { Code, ConnectError } from "@connectrpc/connect";

/** The proxy-wide budget (--max-buffered-bytes). */
export class ByteBudget {
  /** Bytes held now. */
  used = 0;
  /** The most ever held at once. */
  peak = 0;
  /** Calls refused because the budget was spent. */
  refused = 0;
  /** Bytes taken since the start (all calls), for metrics and the collector's pace. */
  total = 0;
  private nextVolume = Infinity;
  private volume: { every: number; then: () => void } | undefined;

  /** `limit` may change on a reload; what is held stays held. */
  constructor(public limit: number) {}

  /** Calls `then` each time another `every` bytes have been taken (the daemon paces garbage collection by it). */
  onVolume(every: number, then: () => void): void {
    this.volume = { every, then };
    this.nextVolume = this.total + every;
  }

  /** A ledger for one call: what it takes is given back at once when the call ends. */
  ledger(): Ledger {
    return new Ledger(this);
  }

  /** Takes `n` bytes for `what`; ResourceExhausted naming the limit when they would pass it. */
  take(n: number, what: string): void {
    if (this.used + n > this.limit) {
      this.refused++;
      throw new ConnectError(
        `${what}: the proxy already holds ${this.used} bytes for other calls; its limit is ${this.limit} (--max-buffered-bytes)`,
        Code.ResourceExhausted,
      );
    }
    this.used += n;
    this.total += n;
    if (this.used > this.peak) this.peak = this.used;
    if (this.total >= this.nextVolume) {
      this.nextVolume = this.total + this.volume!.every;
      this.volume!.then();
    }
  }

  /** Gives `n` bytes back. */
  give(n: number): void {
    this.used -= n;
  }
}

/** What one call holds of the budget. */
export class Ledger {
  private held = 0;
  private closed = false;

  constructor(private readonly budget: ByteBudget) {}

  /** Takes `n` bytes for this call (see ByteBudget.take); after `release`, nothing more is held. */
  take(n: number, what: string): void {
    if (this.closed) return;
    this.budget.take(n, what);
    this.held += n;
  }

  /** Gives back `n` bytes this call no longer holds (an answer's bytes, passed on). */
  give(n: number): void {
    if (this.closed) return;
    const back = Math.min(n, this.held);
    this.budget.give(back);
    this.held -= back;
  }

  /** Gives back everything this call held (the call has ended). */
  release(): void {
    this.budget.give(this.held);
    this.held = 0;
    this.closed = true;
  }
}
