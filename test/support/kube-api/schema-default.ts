import { clone, isObject, setOwn, type Json } from "./json.js";
import { additionalSchema, type Schema } from "./schema.js";

/**
 * Applies `default` values the way the API server does after pruning: a missing (or null, for a
 * non-nullable field) property gets a copy of its default; defaults never create a missing parent.
 */
export function applyDefaults(value: Json, schema: Schema): Json {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items ? value.map((item) => applyDefaults(item, items)) : value;
  }
  if (!isObject(value)) return value;
  const out = { ...value };
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const current = Object.hasOwn(out, key) ? out[key] : undefined;
    if (
      prop.default !== undefined &&
      (current === undefined || (current === null && prop.nullable !== true))
    ) {
      setOwn(out, key, clone(prop.default));
    }
  }
  const extra = additionalSchema(schema);
  for (const [key, child] of Object.entries(out)) {
    const prop = schema.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : extra;
    if (prop && child !== null) setOwn(out, key, applyDefaults(child, prop));
  }
  return out;
}
