// Counters, gauges and histograms with labels, kept in memory and rendered on each scrape.
import {
  checkLabelName,
  checkMetricName,
  formatValue,
  render,
  type Family,
  type MetricType,
  type Sample,
} from "./exposition.ts";

type LabelValues = readonly string[];

interface Collector {
  collect(): Family;
}

/** Series of one family, keyed by their label values. */
abstract class Metric<T> implements Collector {
  protected readonly series = new Map<string, { labels: LabelValues; value: T }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly type: MetricType,
  ) {
    checkMetricName(name);
    labelNames.forEach(checkLabelName);
  }

  protected entry(labels: LabelValues, init: () => T): { labels: LabelValues; value: T } {
    if (labels.length !== this.labelNames.length)
      throw new Error(`${this.name}: ${labels.length} label values for ${this.labelNames.length} labels`);
    const key = labels.join("\0");
    let e = this.series.get(key);
    if (!e) this.series.set(key, (e = { labels: [...labels], value: init() }));
    return e;
  }

  protected pairs(labels: LabelValues, extra?: [string, string]): [string, string][] {
    const p = this.labelNames.map((n, i) => [n, labels[i]] as [string, string]);
    if (extra) p.push(extra);
    return p;
  }

  protected sorted() {
    return [...this.series.values()].sort((a, b) => (a.labels.join("\0") < b.labels.join("\0") ? -1 : 1));
  }

  protected abstract samples(): Sample[];

  collect(): Family {
    return { name: this.name, help: this.help, type: this.type, samples: this.samples() };
  }
}

/** A monotonically increasing count. */
export class Counter extends Metric<number> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, "counter");
  }
  /** Adds `by` (default 1) to the series with these label values. */
  inc(labels: LabelValues = [], by = 1): void {
    if (by < 0) throw new Error(`${this.name}: a counter cannot decrease`);
    this.entry(labels, () => 0).value += by;
  }
  /** The current value of one series (0 when never incremented). */
  get(labels: LabelValues = []): number {
    return this.series.get(labels.join("\0"))?.value ?? 0;
  }
  protected samples(): Sample[] {
    return this.sorted().map((e) => ({ name: this.name, labels: this.pairs(e.labels), value: e.value }));
  }
}

/** A counter or gauge whose series are read from elsewhere at scrape time. */
export class Observed implements Collector {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly type: "counter" | "gauge",
    private readonly read: () => readonly { labels: readonly (readonly [string, string])[]; value: number }[],
  ) {
    checkMetricName(name);
  }
  collect(): Family {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      samples: this.read().map((s) => ({ name: this.name, ...s })),
    };
  }
}

interface Buckets {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative `le` buckets, with their sum and count. */
export class Histogram extends Metric<Buckets> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames, "histogram");
    if (labelNames.includes("le")) throw new Error(`${name}: "le" is the histogram's own label`);
    if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1])))
      throw new Error(`${name}: bounds must increase`);
  }
  /** Records one observation. */
  observe(labels: LabelValues, value: number): void {
    const b = this.entry(labels, () => ({ counts: this.bounds.map(() => 0), sum: 0, count: 0 })).value;
    const i = this.bounds.findIndex((bound) => value <= bound);
    if (i >= 0) b.counts[i]++;
    b.sum += value;
    b.count++;
  }
  protected samples(): Sample[] {
    const out: Sample[] = [];
    for (const e of this.sorted()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += e.value.counts[i];
        out.push({
          name: `${this.name}_bucket`,
          labels: this.pairs(e.labels, ["le", formatValue(bound)]),
          value: cumulative,
        });
      });
      out.push({ name: `${this.name}_bucket`, labels: this.pairs(e.labels, ["le", "+Inf"]), value: e.value.count });
      out.push({ name: `${this.name}_sum`, labels: this.pairs(e.labels), value: e.value.sum });
      out.push({ name: `${this.name}_count`, labels: this.pairs(e.labels), value: e.value.count });
    }
    return out;
  }
}

/** The families of one process, in the order they were registered. */
export class Registry {
  private readonly collectors: Collector[] = [];
  private readonly names = new Set<string>();

  /** Adds a metric; a name registered twice is a bug. */
  register<C extends Collector & { name: string }>(c: C): C {
    if (this.names.has(c.name)) throw new Error(`metric ${c.name} registered twice`);
    this.names.add(c.name);
    this.collectors.push(c);
    return c;
  }

  /** The scrape text. */
  render(): string {
    return render(this.collectors.map((c) => c.collect()));
  }
}
