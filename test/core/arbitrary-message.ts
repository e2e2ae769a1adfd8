// Test helper: fast-check arbitraries for CRI messages, built from their descriptors. Only
// the fields the rewrite walks reach are generated (plus every string beside them), so
// a thousand answers cost milliseconds.
import { create, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import fc from "fast-check";
import { fieldMessage, fieldPlan, isStringField } from "../../src/core/fields.ts";
import { DIGEST } from "./rows.ts";

/** Strings that stress the naming rules: empty, arbitrary, digests, separators, other runtimes' names. */
export const trickyString: fc.Arbitrary<string> = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 10 }),
  fc.constant(DIGEST),
  fc.stringMatching(/^[a-z]{1,3}(__|\/)[a-z0-9]{0,3}$/),
  fc.constantFrom("vm__x", "vm/x", "gpu__y", "gpu/y", "a__b__c", "docker.io/x:1", `x@${DIGEST}`),
);

/** An arbitrary message of schema, classified fields filled with tricky strings. */
export function arbitraryMessage<T extends Message>(schema: DescMessage): fc.Arbitrary<T> {
  return arbitraryInit(schema, 0).map((init) => create(schema, init) as T);
}

function arbitraryInit(desc: DescMessage, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const walked = new Set(fieldPlan(desc).map((e) => e.field.number));
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of desc.fields) {
    const value = arbitraryField(field, walked.has(field.number), depth);
    if (value) model[field.localName] = value;
  }
  return fc.record(model, { requiredKeys: [] });
}

function arbitraryField(field: DescField, walked: boolean, depth: number): fc.Arbitrary<unknown> | undefined {
  const message = fieldMessage(field);
  let item: fc.Arbitrary<unknown>;
  if (isStringField(field)) item = trickyString;
  else if (message && walked && depth < 8) item = arbitraryInit(message, depth + 1);
  else return undefined;
  if (field.fieldKind === "list") return fc.array(item, { maxLength: 3 });
  if (field.fieldKind === "map") return fc.dictionary(fc.string({ maxLength: 4 }), item, { maxKeys: 2 });
  return item;
}
