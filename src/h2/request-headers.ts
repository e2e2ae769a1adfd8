// Request and trailer header lists as RFC 9113 §8 requires them; a list that breaks a rule is
// malformed (a stream error PROTOCOL_ERROR). Pure: a list in, the first broken rule out.
import type { HeaderList } from "./hpack.ts";

/** Request pseudo-headers, each a bit (to see each at most once without a Set per request). */
const REQUEST_PSEUDO: Record<string, number> = { ":method": 1, ":scheme": 2, ":path": 4, ":authority": 8 };
/** §8.2.2: connection-specific fields have no place in HTTP/2. */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
/** §8.2.1: a name is lowercase token characters (a table by char code: this runs on every request). */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") TOKEN[c.charCodeAt(0)] = 1;

/** What is wrong with a request's header list (§8.2, §8.3.1), or undefined. */
export function requestHeaderProblem(headers: HeaderList): string | undefined {
  let seen = 0;
  let regular = false;
  let connect = false;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i];
    if (name.charCodeAt(0) === 58) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      const bit = Object.hasOwn(REQUEST_PSEUDO, name) ? REQUEST_PSEUDO[name] : 0;
      if (bit === 0) return `pseudo-header ${name} is not a request's`;
      if (seen & bit) return `pseudo-header ${name} twice`;
      seen |= bit;
      if (bit === 4 && value === "") return "empty :path";
      if (bit === 1) connect = value === "CONNECT";
      continue;
    }
    regular = true;
    const problem = fieldProblem(name, value);
    if (problem) return problem;
  }
  if (connect) return undefined; // §8.5: :authority only
  if (!(seen & 1)) return "no :method";
  if (!(seen & 2)) return "no :scheme";
  if (!(seen & 4)) return "no :path";
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
  if (name === "") return "an empty field name";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) return `field name ${JSON.stringify(name)} is not lowercase token characters`;
  }
  if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
  if (name === "te" && value !== "trailers") return `te ${JSON.stringify(value)}, not "trailers"`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return `field ${name} has a value with NUL, CR or LF`;
  }
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (first === 32 || first === 9 || last === 32 || last === 9)
    return `field ${name} has a value with whitespace at an end`;
  return undefined;
}

function headerValue(headers: HeaderList, name: string): string | undefined {
  for (const [n, v] of headers) if (n === name) return v;
  return undefined;
}
