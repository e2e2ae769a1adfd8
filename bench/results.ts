// What a run measures besides its cells: start times and memory readings.

export interface StartupResult {
  readonly form: string;
  readonly readyMs: number[];
  readonly firstCallMs: number[];
  readonly medianReadyMs: number;
  readonly medianFirstCallMs: number;
}

export interface MemoryResult {
  /** Which proxy: `single`, `merging`, `floor` (the pass-through), or a fake-baseline variant. */
  readonly variant: string;
  /** VmRSS right after the load. */
  readonly rssMB: number;
  /** VmHWM: the most it ever held. */
  readonly peakMB: number;
  /** VmRSS 5 s after the load. */
  readonly rssAfter5sMB?: number;
  /** CPU ms of the proxy per call over a memory run's load (fake baseline). */
  readonly cpuMsPerCall?: number;
}
