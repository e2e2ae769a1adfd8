// Request and trailer header lists as RFC 9113 §8 requires them; a list that breaks a rule is
// malformed (a stream error PROTOCOL_ERROR). Pure: a list in, the first broken rule out.
import type { HeaderList } from "./hpack.ts";

const REQUEST_PSEUDO = new Set([":method", ":scheme", ":path", ":authority"]);
/** §8.2.2: connection-specific fields have no place in HTTP/2. */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
/** §8.2.1: a name is lowercase token characters; a value has no NUL, CR or LF, nor whitespace at its ends. */
const BAD_NAME = /[^!#$%&'*+\-.^_`|~0-9a-z]/;
const BAD_VALUE = /[\0\r\n]|^[ \t]|[ \t]$/;

/** What is wrong with a request's header list (§8.2, §8.3.1), or undefined. */
export function requestHeaderProblem(headers: HeaderList): string | undefined {
  const seen = new Set<string>();
  let regular = false;
  for (const [name, value] of headers) {
    if (name.startsWith(":")) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      if (!REQUEST_PSEUDO.has(name)) return `pseudo-header ${name} is not a request's`;
      if (seen.has(name)) return `pseudo-header ${name} twice`;
      seen.add(name);
      if (name === ":path" && value === "") return "empty :path";
      continue;
    }
    regular = true;
    const problem = fieldProblem(name, value);
    if (problem) return problem;
  }
  if (seen.has(":method") && headerValue(headers, ":method") === "CONNECT") return undefined; // §8.5: :authority only
  for (const required of [":method", ":scheme", ":path"]) if (!seen.has(required)) return `no ${required}`;
  return undefined;
}

/** What is wrong with a trailer list (§8.1: no pseudo-headers), or undefined. */
export function trailerProblem(headers: HeaderList): string | undefined {
  for (const [name, value] of headers) {
    if (name.startsWith(":")) return `pseudo-header ${name} in trailers`;
    const problem = fieldProblem(name, value);
    if (problem) return problem;
  }
  return undefined;
}

/** The request's content-length, when it sends one (§8.1.1: DATA must add up to it); NaN when it is not a number. */
export function contentLength(headers: HeaderList): number | undefined {
  const v = headerValue(headers, "content-length");
  return v === undefined ? undefined : /^\d{1,15}$/.test(v) ? Number(v) : NaN;
}

function fieldProblem(name: string, value: string): string | undefined {
  if (name === "" || BAD_NAME.test(name)) return `field name ${JSON.stringify(name)} is not lowercase token characters`;
  if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
  if (name === "te" && value !== "trailers") return `te ${JSON.stringify(value)}, not "trailers"`;
  if (BAD_VALUE.test(value)) return `field ${name} has a value with NUL, CR, LF or whitespace at an end`;
  return undefined;
}

function headerValue(headers: HeaderList, name: string): string | undefined {
  for (const [n, v] of headers) if (n === name) return v;
  return undefined;
}
