// Reads and rewrites one kubelet flag (`--container-runtime-endpoint=unix:///...`) where it is
// written: a unit's ExecStart/Environment= line or an environment file. Edits are textual so
// the rest of the file stays byte-identical.

/** One occurrence of a flag's value in a file: the value and where it sits. */
export interface FlagValue {
  value: string;
  start: number;
  end: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Every value of `flag` (as `--flag=v` or `--flag v`) on lines that are not comments. */
export function findFlag(text: string, flag: string): FlagValue[] {
  const out: FlagValue[] = [];
  // The value ends at whitespace, a quote (the flag sits inside KEY="...") or a line-continuation.
  const re = new RegExp(`(?<![\\w-])${escape(flag)}(?:=|[ \\t]+)([^\\s"'\\\\]+)`, "g");
  let offset = 0;
  for (const line of text.split("\n")) {
    if (!/^\s*[#;]/.test(line)) {
      for (const m of line.matchAll(re)) {
        const start = offset + m.index! + m[0].length - m[1].length;
        out.push({ value: m[1], start, end: start + m[1].length });
      }
    }
    offset += line.length + 1;
  }
  return out;
}

/** The text with every value of `flag` replaced by `value`. */
export function setFlag(text: string, flag: string, value: string): string {
  let out = text;
  for (const { start, end } of findFlag(text, flag).reverse()) out = out.slice(0, start) + value + out.slice(end);
  return out;
}
