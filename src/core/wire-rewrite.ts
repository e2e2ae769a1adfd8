// toKubelet on the wire: scans an answer's protobuf encoding, guided by the same field plan
// as the reflective walker, and re-encodes only the classified strings and the length
// prefixes around them. Everything else (labels, annotations, numbers, unknown fields) is
// copied verbatim, so a 90 KB ListContainers answer is never decoded into objects.
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import { fieldMessage, fieldPlan, type FieldClass, type PlanEntry } from "./fields.ts";
import { kubeletVisit } from "./rewrite.ts";
import type { RoutingTable } from "./routing-table.ts";

/** Given a classified string, returns its new value (the rule toKubelet applies). */
export type WireVisit = (cls: FieldClass, value: string) => string;

/** Same result as toBinary(schema, toKubelet(schema, fromBinary(schema, bytes), backend, table)), up to field order and encoding, without decoding the message; "" or nothing to change returns bytes itself. */
export function toKubeletWire(
  schema: DescMessage,
  bytes: Uint8Array,
  backend: string,
  table?: RoutingTable,
): Uint8Array {
  if (backend === "") return bytes;
  return rewriteWire(defaultPlans, schema, bytes, kubeletVisit(backend, table));
}

/** One field of a compiled plan: a classified string (cls) or a message leading to one (child). */
interface Step {
  readonly cls?: FieldClass;
  readonly child?: Plan;
  /** Visit "" too: lists, maps and explicit presence (a proto3 implicit "" is unset and skipped, as reflect's isSet does). */
  readonly empty: boolean;
}

/** A message's steps indexed by field number; entry = a map entry whose missing value (field 2) still counts as "". */
export interface Plan {
  readonly name: string;
  readonly steps: (Step | undefined)[];
  readonly entry?: FieldClass;
}

/** Compiles plans lazily, once per message type, from a plan function (fieldPlan in production). */
export function planCompiler(planOf: (desc: DescMessage) => readonly PlanEntry[]): (desc: DescMessage) => Plan {
  const cache = new Map<DescMessage, Plan>();
  const compile = (desc: DescMessage): Plan => {
    let plan = cache.get(desc);
    if (plan) return plan;
    plan = { name: desc.typeName, steps: [] };
    cache.set(desc, plan); // before the children: CRI types may be recursive
    for (const { field, cls } of planOf(desc)) plan.steps[field.number] = step(field, cls, compile);
    return plan;
  };
  return compile;
}

function step(field: DescField, cls: FieldClass | undefined, compile: (desc: DescMessage) => Plan): Step {
  const message = cls === undefined ? fieldMessage(field) : undefined;
  const child = message && compile(message);
  if (field.fieldKind !== "map")
    return { cls, child, empty: field.fieldKind === "list" || field.presence !== FeatureSet_FieldPresence.IMPLICIT };
  // A map field is a repeated entry message {1: key, 2: value}; only the value is walked.
  const entry: Plan = { name: `${field.parent.typeName}.${field.name} entry`, steps: [], entry: cls };
  entry.steps[2] = { cls, child, empty: true };
  return { child: entry, empty: true };
}

const defaultPlans = planCompiler(fieldPlan);

/** The wire rewrite behind toKubeletWire, with the plan and the per-value rule as parameters. */
export function rewriteWire(
  plans: (desc: DescMessage) => Plan,
  schema: DescMessage,
  bytes: Uint8Array,
  visit: WireVisit,
): Uint8Array {
  const s: Scan = { buf: bytes, pos: 0, visit, edits: [], heads: new Map() };
  const delta = scan(s, plans(schema), bytes.length, 0);
  return s.edits.length === 0 ? bytes : apply(bytes, s.edits, bytes.length + delta);
}

/** Replaces bytes [at, end) of the input with: tag (if not 0), varint(len), head (if set). */
interface Edit {
  readonly at: number;
  readonly end: number;
  readonly tag: number;
  len: number;
  readonly head?: Uint8Array;
}

interface Scan {
  readonly buf: Uint8Array;
  pos: number;
  readonly visit: WireVisit;
  readonly edits: Edit[];
  /** Encoded prefixes ("vm__", "vm/"), so a prefixed value costs no encoding and keeps its bytes in place. */
  readonly heads: Map<string, Uint8Array>;
}

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Scans one message body ending at end; records edits; returns how many bytes it grows. */
function scan(s: Scan, plan: Plan, end: number, depth: number): number {
  if (depth > 100) throw malformed(plan, s.pos, "nested too deeply");
  let delta = 0;
  let sawValue = false;
  while (s.pos < end) {
    const tag = varint(s, plan, end);
    const no = Math.floor(tag / 8);
    const wt = tag % 8;
    if (no === 0) throw malformed(plan, s.pos, "field number 0");
    const step = plan.steps[no];
    if (wt === 2) {
      const lenAt = s.pos;
      const n = varint(s, plan, end);
      const start = s.pos;
      if (n > end - start) throw malformed(plan, start, `field ${no} is ${n} bytes long, past the end of its message`);
      s.pos = start + n;
      if (step === undefined) continue;
      if (no === 2) sawValue = true;
      if (step.cls !== undefined) delta += rewriteString(s, plan, step, lenAt, start, n);
      else if (step.child) delta += rewriteMessage(s, step.child, lenAt, start, n, depth);
    } else if (wt === 3 || wt === 4) {
      throw malformed(plan, s.pos, `field ${no} is a group, which CRI never uses`);
    } else if (step !== undefined) {
      throw malformed(plan, s.pos, `field ${no} has wire type ${wt}, expected length-delimited`);
    } else if (wt === 0) {
      varint(s, plan, end);
    } else if (wt === 1 || wt === 5) {
      s.pos += wt === 1 ? 8 : 4;
      if (s.pos > end) throw malformed(plan, end, `field ${no} is truncated`);
    } else {
      throw malformed(plan, s.pos, `invalid wire type ${wt}`);
    }
  }
  if (s.pos !== end) throw malformed(plan, end, "a field runs past the end of its message");
  // A map entry without a value decodes as value "", which the walker visits too.
  if (plan.entry !== undefined && !sawValue) {
    const next = s.visit(plan.entry, "");
    if (next !== "") delta += replace(s, end, end, 0x12, next);
  }
  return delta;
}

function rewriteString(s: Scan, plan: Plan, step: Step, lenAt: number, start: number, n: number): number {
  if (n === 0 && !step.empty) return 0;
  const value = decode(s.buf, start, n, plan);
  const next = s.visit(step.cls!, value);
  if (next === value) return 0;
  if (!next.endsWith(value)) return replace(s, lenAt, start + n, 0, next);
  // The common case: a prefix added before the value, whose bytes stay where they are.
  const head = headOf(s, next, next.length - value.length);
  return edit(s, { at: lenAt, end: start, tag: 0, len: head.length + n, head });
}

/** The encoded first k characters of next; the few prefixes of one call are found by comparing, cheaper than hashing a fresh slice. */
function headOf(s: Scan, next: string, k: number): Uint8Array {
  for (const [prefix, head] of s.heads) if (prefix.length === k && next.startsWith(prefix)) return head;
  const prefix = next.slice(0, k);
  const head = encoder.encode(prefix);
  if (s.heads.size < 8) s.heads.set(prefix, head);
  return head;
}

function replace(s: Scan, at: number, end: number, tag: number, value: string): number {
  const head = encoder.encode(value);
  return edit(s, { at, end, tag, len: head.length, head });
}

function rewriteMessage(s: Scan, child: Plan, lenAt: number, start: number, n: number, depth: number): number {
  const i = s.edits.length;
  const prefix: Edit = { at: lenAt, end: start, tag: 0, len: 0 };
  s.edits.push(prefix); // the length prefix precedes its content's edits
  s.pos = start;
  const d = scan(s, child, start + n, depth + 1);
  if (d === 0 && s.edits.length === i + 1) {
    s.edits.pop();
    return 0;
  }
  prefix.len = n + d;
  return d + varintSize(n + d) - (start - lenAt);
}

/** Records e; returns how many bytes it adds. */
function edit(s: Scan, e: Edit): number {
  s.edits.push(e);
  return (e.tag ? 1 : 0) + varintSize(e.len) + (e.head ? e.head.length : 0) - (e.end - e.at);
}

function apply(buf: Uint8Array, edits: Edit[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let from = 0;
  let o = 0;
  for (const e of edits) {
    o = copy(buf, from, e.at, out, o);
    if (e.tag) out[o++] = e.tag;
    let len = e.len;
    for (; len > 0x7f; len >>>= 7) out[o++] = (len & 0x7f) | 0x80;
    out[o++] = len;
    if (e.head) o = copy(e.head, 0, e.head.length, out, o);
    from = e.end;
  }
  copy(buf, from, buf.length, out, o);
  return out;
}

/** Copies src[from, to) to out at o; returns the new o. Short runs (tags between edits) by hand: a subarray costs more. */
function copy(src: Uint8Array, from: number, to: number, out: Uint8Array, o: number): number {
  if (to - from > 24) out.set(src.subarray(from, to), o);
  else for (let i = from; i < to; i++) out[o + i - from] = src[i];
  return o + to - from;
}

/** Decodes UTF-8 like fromBinary does for proto3 strings: invalid UTF-8 is an error. */
function decode(buf: Uint8Array, start: number, n: number, plan: Plan): string {
  try {
    return strict.decode(buf.subarray(start, start + n));
  } catch {
    throw malformed(plan, start, "invalid UTF-8 in a string field");
  }
}

/** Reads a varint of up to 10 bytes as a number (exact up to 2^53). */
function varint(s: Scan, plan: Plan, end: number): number {
  const buf = s.buf;
  let value = 0;
  for (let i = 0, scale = 1; i < 10; i++, scale *= 128) {
    if (s.pos >= end) throw malformed(plan, s.pos, "truncated varint");
    const b = buf[s.pos++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
  }
  throw malformed(plan, s.pos, "varint longer than 10 bytes");
}

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function malformed(plan: Plan, at: number, what: string): Error {
  return new Error(`malformed ${plan.name} answer at byte ${at}: ${what}`);
}
