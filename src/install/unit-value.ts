// Values criproxy writes into a systemd unit (ExecStart=) or a kubelet file (an environment
// file, a unit's Environment=, a KubeletConfiguration field). systemd splits ExecStart= at
// whitespace, expands %-specifiers and $VARIABLES, and unquotes quotes and backslashes; an
// environment file and YAML have their own quoting. Rather than quote for each reader, a value
// is allowed only characters that mean nothing special to any of them, and anything else is
// refused with the flag's name.

/** Characters any value may hold: none is special to systemd, a shell-style env file or YAML. */
const ARG_CHARS = /^[A-Za-z0-9._/+@:=,[\]-]+$/;
/** A path: absolute, and fewer characters still (no "," or "=": they separate list items). */
const PATH_CHARS = /^\/[A-Za-z0-9._/+@:-]*$/;
/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/** Names the first character of `value` outside the allowed set, for the error message. */
function offending(value: string, allowed: RegExp): string {
  for (const ch of value) {
    if (allowed.test(`/${ch}`) || allowed.test(ch)) continue;
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f)
      return `a control character (U+${code.toString(16).padStart(4, "0").toUpperCase()})`;
    if (/\s/.test(ch)) return "whitespace";
    return `${JSON.stringify(ch)}`;
  }
  return "a character";
}

/** Why `value` cannot be an absolute path in a unit or kubelet file, or undefined when it can. */
export function pathProblem(value: string): string | undefined {
  if (!value.startsWith("/")) return "is not an absolute path";
  if (!PATH_CHARS.test(value))
    return `contains ${offending(value, PATH_CHARS)}, which systemd or kubelet's files would read specially (allowed: letters, digits and . _ / + @ : -)`;
  if (/\/\/|\/\.\.?(\/|$)/.test(value)) return "is not a normal path (it has //, /./ or /../)";
  if (value.length > 1 && value.endsWith("/")) return "ends with /";
  return undefined;
}

/** Checks a socket path given to `flag`; the error names the flag and the value. */
export function checkSocketPath(flag: string, value: string): Error | undefined {
  const why =
    pathProblem(value) ??
    (value.length > MAX_SOCKET_PATH ? `is longer than a socket path may be (${MAX_SOCKET_PATH} bytes)` : undefined);
  return why === undefined ? undefined : new Error(`${flag} ${JSON.stringify(value)} ${why}`);
}

/** Checks an endpoint (`/path` or `unix:///path`) given to `flag`. */
export function checkEndpointValue(flag: string, value: string): Error | undefined {
  const path = value.startsWith("unix://") ? value.slice("unix://".length) : value;
  const why = path.startsWith("/") ? pathProblem(path) : "is not a socket path or unix:// URL";
  return why === undefined ? undefined : new Error(`${flag} ${JSON.stringify(value)} ${why}`);
}

/** Checks extra arguments for the unit's ExecStart= given to `flag` (e.g. --serve-args). */
export function checkArgs(flag: string, args: string[]): Error | undefined {
  for (const a of args) {
    if (!ARG_CHARS.test(a)) {
      return new Error(
        `${flag}: argument ${JSON.stringify(a)} contains ${offending(a, ARG_CHARS)}, which systemd would split, expand or unquote in ExecStart= (allowed: letters, digits and . _ / + @ : = , [ ] -)`,
      );
    }
  }
  return undefined;
}
