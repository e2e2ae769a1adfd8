// One named runtime's breaker, carried out: the state the policy (core/breaker-policy.ts)
// decides, the background probe while it is open, and a signal that releases the parts still
// waiting on the runtime the moment one of them trips it (only one call pays the budget).
import { ConnectError } from "@connectrpc/connect";
import {
  type Admission,
  admit,
  afterPart,
  afterProbe,
  type Breaker,
  type BreakerTimings,
  CLOSED,
  openMessage,
  probeDeadlineMs,
} from "../core/breaker-policy.ts";
import type { Logger } from "../log/logger.ts";

/** Asks the runtime again, within `deadline` (epoch ms): resolves when it answered. */
export type Probe = (deadline: number) => Promise<unknown>;

export class RuntimeBreaker {
  private state: Breaker = CLOSED;
  private probe: Probe | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private probing = false;
  private trip = new AbortController();
  /** Times this breaker opened, for metrics. */
  opened = 0;
  /** Parts asked live that missed their budget or failed (each opened or reopened the breaker): the calls that paid for it. */
  misses = 0;
  /** Times the breaker closed after being open: a part admitted before the last close carries an older one. */
  private closings = 0;

  constructor(
    readonly label: string,
    private readonly timings: () => BreakerTimings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get breaker(): Breaker {
    return this.state;
  }

  /** Aborted when the breaker opens: parts still waiting on the runtime answer from memory then. */
  get tripped(): AbortSignal {
    return this.trip.signal;
  }

  /** Whether a part is asked live now (see core/breaker-policy.ts `admit`), and the episode to settle it in. */
  admit(): { admission: Admission; episode: number } {
    const { admission, next } = admit(this.state, this.now());
    this.state = next;
    return { admission, episode: this.closings };
  }

  /**
   * A live part admitted in `episode` ended; `probe` asks the same again, for the background probe
   * if this opens the breaker. A miss from before the breaker last closed is ignored: a probe has
   * answered since (a trial still waiting when the runtime recovered would open it again).
   */
  settle(answered: boolean, why: string, probe: Probe, episode = this.closings): void {
    if (!answered && episode !== this.closings) return;
    const was = this.state;
    this.state = afterPart(was, answered, why, this.now(), this.timings());
    if (this.state.kind === "closed") return this.closed(was);
    this.misses++;
    this.probe = probe;
    if (was.kind === "closed") this.opening();
  }

  /** The Unavailable message for a call to this runtime's own objects while open; undefined when closed. */
  refusal(): string | undefined {
    return openMessage(this.label, this.state, this.timings());
  }

  /** Closes the breaker without a word: the runtime reconnected, or the proxy is stopping. */
  reset(): void {
    if (this.state.kind !== "closed") this.closings++;
    this.state = CLOSED;
    this.stopProbing();
  }

  private opening(): void {
    this.opened++;
    this.trip.abort();
    this.trip = new AbortController();
    this.log.log(
      0,
      "W",
      "runtime-breaker.ts",
      `${this.refusal()}: its parts of merged answers are served from memory at once`,
    );
    this.timer = setInterval(() => this.probeOnce(), this.timings().probeMs);
    this.timer.unref?.();
  }

  private closed(was: Breaker): void {
    this.stopProbing();
    if (was.kind !== "closed") this.closings++;
    if (was.kind !== "closed")
      this.log.log(
        0,
        "I",
        "runtime-breaker.ts",
        `runtime ${this.label} answers in time again (breaker closed after ${Math.round((this.now() - was.sinceMs) / 1000)}s)`,
      );
  }

  private probeOnce(): void {
    const probe = this.probe;
    if (this.probing || probe === undefined || this.state.kind === "closed") return;
    this.probing = true;
    const t = this.timings();
    probe(this.now() + probeDeadlineMs(t)).then(
      () => {
        this.probing = false;
        const was = this.state;
        this.state = afterProbe(was, true);
        this.closed(was);
      },
      (e) => {
        this.probing = false;
        this.log.log(4, "I", "runtime-breaker.ts", `probe of runtime ${this.label}: ${ConnectError.from(e).message}`);
      },
    );
  }

  private stopProbing(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.probe = undefined;
  }
}
