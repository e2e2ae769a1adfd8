// Flags that may be given more than once. citty (node's parseArgs underneath) keeps only the
// last value of a repeated string flag, so these are read from the raw arguments instead.

/** Every value given for flag `name` in rawArgs, in order: `--name V`, `--name=V` (and one dash). */
export function flagValues(rawArgs: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === "--") break; // the rest are positional
    const m = /^--?([^=]+)(?:=([\s\S]*))?$/.exec(arg);
    if (!m || m[1] !== name) continue;
    if (m[2] !== undefined) out.push(m[2]);
    else if (i + 1 < rawArgs.length) out.push(rawArgs[++i]);
  }
  return out;
}

/** The repeatable flags' values as the config expects them (`--connect` entries join as one comma list); a flag not given is left out. */
export function repeatedFlags(rawArgs: readonly string[]): { connect?: string; "runtime-handler"?: string[] } {
  const out: { connect?: string; "runtime-handler"?: string[] } = {};
  const connect = flagValues(rawArgs, "connect");
  if (connect.length > 0) out.connect = connect.join(",");
  const handlers = flagValues(rawArgs, "runtime-handler");
  if (handlers.length > 0) out["runtime-handler"] = handlers;
  return out;
}
