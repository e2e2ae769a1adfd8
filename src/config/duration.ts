// Go-style durations ("500ms", "5s", "1m30s", "10m"), as the original criproxy's flags took them.

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Go-style duration; a bare number means seconds. Throws on anything else. */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]];
    end = re.lastIndex;
  }
  if (end === 0 || end !== text.length)
    throw new Error(`${JSON.stringify(value)} is not a duration like 500ms, 5s or 1m30s`);
  return total;
}
