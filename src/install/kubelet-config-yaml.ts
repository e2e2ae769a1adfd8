// Reads and rewrites a top-level field of a KubeletConfiguration file. The edit is textual
// (one line changes, comments and layout stay) and is checked by parsing the result again.

/** A KubeletConfiguration parsed with Bun's YAML parser, or an error saying why it is not one. */
export function parseKubeletConfig(text: string): Record<string, unknown> | Error {
  let doc: unknown;
  try {
    doc = Bun.YAML.parse(text);
  } catch (e) {
    return new Error(`not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) return new Error("not a single YAML mapping");
  const kind = (doc as Record<string, unknown>).kind;
  if (kind !== undefined && kind !== "KubeletConfiguration")
    return new Error(`kind is ${JSON.stringify(kind)}, not KubeletConfiguration`);
  return doc as Record<string, unknown>;
}

/** A top-level string field of a KubeletConfiguration, or undefined when unset or empty. */
export function kubeletConfigField(text: string, key: string): string | undefined {
  const doc = parseKubeletConfig(text);
  if (doc instanceof Error) return undefined;
  const v = doc[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The text with top-level `key` set to `value` (appended when absent), or an error. */
export function setKubeletConfigField(text: string, key: string, value: string): string | Error {
  const re = new RegExp(`^${key}:([ \\t]*)("|')?([^"'#\\n]*?)("|')?([ \\t]*(?:#.*)?)$`, "gm");
  const hits = [...text.matchAll(re)];
  if (hits.length > 1) return new Error(`${key} is set ${hits.length} times`);
  let out: string;
  if (hits.length === 1) {
    const m = hits[0];
    const [, space, open = "", , close = "", rest] = m;
    // "key:value" is not a YAML mapping entry; keep a separating space when there was none.
    const line = `${key}:${space === "" ? " " : space}${open}${value}${close}${rest}`;
    out = text.slice(0, m.index!) + line + text.slice(m.index! + m[0].length);
  } else {
    out = `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${key}: ${value}\n`;
  }
  const doc = parseKubeletConfig(out);
  if (doc instanceof Error) return new Error(`editing ${key} would break the file: ${doc.message}`);
  if (doc[key] !== value) return new Error(`${key} is not written in a form criproxy can edit safely`);
  return out;
}
