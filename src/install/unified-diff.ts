// A unified diff (as `diff -u` prints it) of two texts, for `--dry-run`. Files here are
// small (unit files, kubelet configs), so a plain LCS table is enough.

interface Line {
  op: " " | "-" | "+";
  text: string;
  a: number;
  b: number;
}

/** Splits text into lines, remembering whether the last one ends with a newline. */
function lines(text: string): string[] {
  if (text === "") return [];
  const out = text.split("\n");
  if (out.at(-1) === "") out.pop();
  else out[out.length - 1] += "\n\\ No newline at end of file";
  return out;
}

/** The edit script from a to b by longest common subsequence. */
function script(a: string[], b: string[]): Line[] {
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) out.push({ op: " ", text: a[i], a: i++, b: j++ });
    else if (j < m && (i === n || lcs[i][j + 1] > lcs[i + 1][j])) out.push({ op: "+", text: b[j], a: i, b: j++ });
    else out.push({ op: "-", text: a[i], a: i++, b: j });
  }
  return out;
}

/** `diff -u` of before and after (undefined: the file does not exist) labelled with `path`. */
export function unifiedDiff(path: string, before: string | undefined, after: string | undefined, context = 3): string {
  if (before === after) return "";
  const rel = path.replace(/^\//, "");
  const head = `--- ${before === undefined ? "/dev/null" : `a/${rel}`}\n+++ ${after === undefined ? "/dev/null" : `b/${rel}`}\n`;
  const ops = script(lines(before ?? ""), lines(after ?? ""));
  const changed = ops.flatMap((l, k) => (l.op === " " ? [] : [k]));
  let out = head;
  let k = 0;
  while (k < changed.length) {
    // A hunk spans changes closer than 2*context lines apart, plus context on each side.
    const start = Math.max(0, changed[k] - context);
    let last = changed[k];
    while (k + 1 < changed.length && changed[k + 1] - last <= 2 * context) last = changed[++k];
    const end = Math.min(ops.length, last + context + 1);
    const hunk = ops.slice(start, end);
    const aLen = hunk.filter((l) => l.op !== "+").length;
    const bLen = hunk.filter((l) => l.op !== "-").length;
    const aStart = aLen === 0 ? hunk[0].a : hunk[0].a + 1;
    const bStart = bLen === 0 ? hunk[0].b : hunk[0].b + 1;
    out += `@@ -${aStart}${aLen === 1 ? "" : `,${aLen}`} +${bStart}${bLen === 1 ? "" : `,${bLen}`} @@\n`;
    for (const l of hunk) out += `${l.op}${l.text}\n`;
    k++;
  }
  return out;
}
