// The original Go criproxy's spellings (`-connect x`, `-v=3`, `-logtostderr`) keep working,
// so an existing systemd unit needs no edit. Go's flag package takes one or two dashes.

const goFlags = new Set([
  "connect",
  "listen",
  "v",
  "logtostderr",
  "alsologtostderr",
  "streamUrl",
  "streamPort",
  "stream-url",
  "stream-port",
]);
const renamed: Record<string, string> = { streamUrl: "stream-url", streamPort: "stream-port" };
const ignoredBooleans = new Set(["logtostderr", "alsologtostderr"]);

/** Rewrites Go-style flags into the `--name value` form the command line parses. */
export function normalizeLegacyArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const m = /^--?([A-Za-z][\w-]*)(=(.*))?$/.exec(arg);
    if (!m || !goFlags.has(m[1])) {
      out.push(arg);
      continue;
    }
    const name = renamed[m[1]] ?? m[1];
    // -logtostderr is accepted for compatibility and has no effect (we always log to stderr).
    if (ignoredBooleans.has(name)) continue;
    out.push(`--${name}`);
    if (m[2] !== undefined) out.push(m[3]);
  }
  return out;
}
