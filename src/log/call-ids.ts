// The ids, names and image a call names, as structured fields for JSON call records.
import { fromBinary, ScalarType, type DescMessage } from "@bufbuild/protobuf";

const idField = (name: string) => name.endsWith("_id") || name === "image_ref";

/** True when a message type has top-level id fields worth recording (create and pull answers). */
export function namesIds(schema: DescMessage): boolean {
  return schema.fields.some((f) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING && idField(f.name));
}

/** Adds to `out` the ids, pod name and image that `bytes` (a `schema` message) names; bytes that do not decode add nothing. */
export function pickIds(schema: DescMessage, bytes: Uint8Array, out: Record<string, string>): Record<string, string> {
  let msg: Record<string, unknown>;
  try {
    msg = fromBinary(schema, bytes) as unknown as Record<string, unknown>;
  } catch {
    return out; // the call's own error says what was wrong with it
  }
  for (const f of schema.fields) {
    const value = msg[f.localName];
    if (f.fieldKind === "scalar" && f.scalar === ScalarType.STRING && idField(f.name) && value)
      out[f.name] = String(value);
    if (f.fieldKind === "message" && f.message.typeName.endsWith(".ImageSpec") && value)
      out.image = String((value as { image: string }).image);
    if (f.fieldKind === "message" && f.name === "config" && value) {
      const config = value as { metadata?: { name?: string; namespace?: string }; image?: { image?: string } };
      if (config.metadata?.name)
        out.name = config.metadata.namespace
          ? `${config.metadata.namespace}/${config.metadata.name}`
          : config.metadata.name;
      if (config.image?.image) out.image = config.image.image;
    }
  }
  return out;
}
