// A connection's allowance for frames that cost us work and carry nothing a call needs: resets
// (rapid reset, CVE-2023-44487), empty DATA and CONTINUATION (CVE-2019-9518), PRIORITY churn
// (CVE-2019-9513), SETTINGS and PING floods (CVE-2019-9512/9515), frames that earn a stream
// error. A token bucket, as nghttp2 bounds resets: a burst, refilled at a steady rate. Past it
// the connection ends with GOAWAY ENHANCE_YOUR_CALM. Nothing on a call's own path spends it.
import { ConnectionError, ErrorCode } from "./frames.ts";

/** Frames a peer may waste at once, and per second after that. A kubelet or runtime spends a few a minute. */
export const CALM_BURST = 200;
export const CALM_PER_SECOND = 100;

export class CalmBudget {
  private tokens: number;
  private at = performance.now();

  constructor(
    private readonly burst = CALM_BURST,
    private readonly perSecond = CALM_PER_SECOND,
  ) {
    this.tokens = burst;
  }

  /** Spends one; throws ConnectionError(ENHANCE_YOUR_CALM) naming `what` once the budget is gone. */
  spend(what: string): void {
    if (--this.tokens >= 0) return;
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < 0)
      throw new ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `too many ${what} (over ${this.burst} at once or ${this.perSecond}/s)`,
      );
  }
}
