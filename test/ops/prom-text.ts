// A strict parser of the Prometheus text format 0.0.4, written for the tests: it throws on any
// line a Prometheus server would reject, and on histograms that do not add up.
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details)

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string | undefined;
  samples: ParsedSample[];
}

const METRIC = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = "[a-zA-Z_][a-zA-Z0-9_]*";
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

/** Parses a scrape; throws `line N: why` on the first malformed line. */
export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the last line must end with a line feed");
  const families = new Map<string, ParsedFamily>();
  const seenSeries = new Set<string>();
  let open: ParsedFamily | undefined; // the family whose samples are being read: samples of one family are contiguous
  const closed = new Set<string>();
  const typed = new Set<string>();
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((line, i) => {
    const fail = (why: string) => new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = new RegExp(`^#\\s+(HELP|TYPE)\\s+(${METRIC})(?:\\s(.*))?$`).exec(line);
      if (!m) {
        if (/^#\s+(HELP|TYPE)\b/.test(line)) throw fail("malformed HELP/TYPE line");
        return; // any other comment
      }
      const [, kind, name, rest = ""] = m;
      if (closed.has(name) && open?.name !== name)
        throw fail(`${name} was already written; its lines must be together`);
      let f = families.get(name);
      if (!f) {
        f = { name, type: "untyped", help: undefined, samples: [] };
        families.set(name, f);
      }
      if (open && open.name !== name) closed.add(open.name);
      open = f;
      if (kind === "HELP") {
        if (f.help !== undefined) throw fail(`second HELP for ${name}`);
        f.help = unescape(rest, false, fail);
      } else {
        if (typed.has(name)) throw fail(`second TYPE for ${name}`);
        if (f.samples.length > 0) throw fail(`TYPE for ${name} after its samples`);
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(rest))
          throw fail(`unknown type ${JSON.stringify(rest)}`);
        f.type = rest as ParsedFamily["type"];
        typed.add(name);
      }
      return;
    }
    const sample = parseSample(line, fail);
    const family = familyOf(sample.name, families) ?? {
      name: sample.name,
      type: "untyped" as const,
      help: undefined,
      samples: [],
    };
    if (!families.has(family.name)) families.set(family.name, family);
    if (open?.name !== family.name) {
      if (closed.has(family.name) || family.samples.length > 0)
        throw fail(`samples of ${family.name} are not together`);
      if (open) closed.add(open.name);
      open = family;
    }
    const series = `${sample.name}{${Object.entries(sample.labels)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(",")}}`;
    if (seenSeries.has(series)) throw fail(`duplicate series ${series}`);
    seenSeries.add(series);
    if (family.type === "counter" && (sample.value < 0 || Number.isNaN(sample.value)))
      throw fail("a counter is negative or NaN");
    family.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function parseSample(line: string, fail: (why: string) => Error): ParsedSample {
  const m = new RegExp(`^(${METRIC})(\\{.*\\})?[ \\t]+(\\S+)(?:[ \\t]+(-?\\d+))?[ \\t]*$`).exec(line);
  if (!m) throw fail("not NAME{LABELS} VALUE [TIMESTAMP]");
  const [, name, labelText, valueText] = m;
  if (!FLOAT.test(valueText)) throw fail(`value ${JSON.stringify(valueText)} is not a float`);
  const value = valueText.endsWith("Inf") ? (valueText.startsWith("-") ? -Infinity : Infinity) : Number(valueText);
  const labels: Record<string, string> = {};
  if (labelText) {
    let rest = labelText.slice(1, -1);
    const pair = new RegExp(`^\\s*(${LABEL})\\s*=\\s*"((?:[^"\\\\\\n]|\\\\.)*)"\\s*(,|$)`);
    while (rest.trim() !== "") {
      const p = pair.exec(rest);
      if (!p) throw fail(`malformed labels at ${JSON.stringify(rest)}`);
      if (p[1] in labels) throw fail(`label ${p[1]} twice`);
      if (p[1].startsWith("__")) throw fail(`reserved label name ${p[1]}`);
      labels[p[1]] = unescape(p[2], true, fail);
      rest = rest.slice(p[0].length);
      if (p[3] === "" && rest.trim() !== "") throw fail("labels not separated by commas");
    }
  }
  return { name, labels, value };
}

// HELP allows \\ and \n; label values also \". Anything else after a backslash is malformed.
function unescape(text: string, quotes: boolean, fail: (why: string) => Error): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    if (c === '"' && quotes) return '"';
    throw fail(`bad escape \\${c}`);
  });
}

function familyOf(sample: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined {
  const direct = families.get(sample);
  if (direct && direct.type !== "histogram") return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f && (f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket"))) return f;
  }
  return direct;
}

// Buckets cumulative in increasing `le`, a +Inf bucket equal to _count, and a _sum.
function checkHistogram(f: ParsedFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined || !FLOAT.test(le)) throw new Error(`${f.name}: bucket without a valid le`);
      g.buckets.push([le === "+Inf" ? Infinity : Number(le), s.value]);
    } else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else throw new Error(`${f.name}: unexpected sample ${s.name} in a histogram`);
  }
  for (const [key, g] of groups) {
    const where = `${f.name}${key}`;
    if (g.sum === undefined || g.count === undefined) throw new Error(`${where}: _sum and _count are required`);
    const last = g.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${where}: the last bucket must be le="+Inf"`);
    if (last[1] !== g.count) throw new Error(`${where}: +Inf bucket ${last[1]} != _count ${g.count}`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (g.buckets[i][0] <= g.buckets[i - 1][0]) throw new Error(`${where}: le not increasing`);
      if (g.buckets[i][1] < g.buckets[i - 1][1]) throw new Error(`${where}: buckets not cumulative`);
    }
  }
}

/** The value of one series, or undefined. */
export function valueOf(
  families: Map<string, ParsedFamily>,
  family: string,
  labels: Record<string, string> = {},
  sample = family,
): number | undefined {
  const f = families.get(family);
  return f?.samples.find((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

/** The sum of every series of a family (sample name defaults to the family) matching `labels`. */
export function sumOf(
  families: Map<string, ParsedFamily>,
  family: string,
  labels: Record<string, string> = {},
  sample = family,
): number {
  const f = families.get(family);
  return (f?.samples ?? [])
    .filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}
