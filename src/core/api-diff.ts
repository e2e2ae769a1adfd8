// How one CRI version's message reads in another, field by field and by number: what a
// runtime of the other version ignores (an unknown number: proto3 skips it) or misreads
// (the same number with another name, type or kind). Pure, from the generated descriptors.
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { fieldMessage } from "./fields.ts";

/** One field of a message as the other version reads it. */
export interface FieldDiff {
  /** The message's full name in the version it is written in, e.g. `runtime.v1.Mount`. */
  readonly message: string;
  readonly field: string;
  readonly number: number;
  /** unknown: the other version has no field of this number; misread: it has one, of another name or type. */
  readonly kind: "unknown" | "misread";
  /** For a misread: the other version's field, as `name type`. */
  readonly as?: string;
}

/** The short name of a message or enum (without its package), which both versions share. */
const short = (typeName: string) => typeName.replace(/^runtime\.v1(alpha2)?\./, "");

/** A field's shape: kind, element kind, scalar type, and the short name of its message or enum type. */
export function fieldShape(f: DescField): string {
  const type = fieldMessage(f) ?? enumOf(f);
  const elem = f.fieldKind === "list" ? f.listKind : f.fieldKind === "map" ? `${f.mapKey}->${f.mapKind}` : "";
  return [f.fieldKind, elem, scalarOf(f) ?? "", type ? short(type.typeName) : ""].join(":");
}

function enumOf(f: DescField): { typeName: string } | undefined {
  if (f.fieldKind === "enum") return f.enum;
  if (f.fieldKind === "list" && f.listKind === "enum") return f.enum;
  if (f.fieldKind === "map" && f.mapKind === "enum") return f.enum;
  return undefined;
}

function scalarOf(f: DescField): number | undefined {
  if (f.fieldKind === "scalar") return f.scalar;
  if (f.fieldKind === "list" && f.listKind === "scalar") return f.scalar;
  if (f.fieldKind === "map" && f.mapKind === "scalar") return f.scalar;
  return undefined;
}

/**
 * Every field reachable from `from` (through fields `to` reads the same way) that `to` does not
 * know or misreads. Message types are matched by field number, so a nested type is compared
 * with what the other version really decodes it as.
 */
export function fieldDiffs(from: DescMessage, to: DescMessage): FieldDiff[] {
  const out: FieldDiff[] = [];
  const seen = new Set<string>();
  const visit = (a: DescMessage, b: DescMessage) => {
    const key = `${a.typeName}>${b.typeName}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const f of a.fields) {
      const g = b.fields.find((x) => x.number === f.number);
      if (!g) {
        out.push({ message: a.typeName, field: f.name, number: f.number, kind: "unknown" });
        continue;
      }
      if (g.name !== f.name || fieldShape(g) !== fieldShape(f)) {
        out.push({
          message: a.typeName,
          field: f.name,
          number: f.number,
          kind: "misread",
          as: `${g.name} ${fieldShape(g)}`,
        });
        continue;
      }
      const [fm, gm] = [fieldMessage(f), fieldMessage(g)];
      if (fm && gm) visit(fm, gm);
    }
  };
  visit(from, to);
  return out;
}
