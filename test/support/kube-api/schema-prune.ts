import { childPath, indexPath } from "./field-errors.js";
import { isObject, setOwn, type Json, type JsonObject } from "./json.js";
import { additionalSchema, OBJECT_META_FIELDS, preservesUnknown, type Schema } from "./schema.js";

/**
 * Drops fields the schema does not declare (structural pruning), and nulls of non-nullable fields
 * that have no default (which the server prunes before defaulting). Returns the paths it dropped.
 */
export function prune(obj: JsonObject, schema: Schema): { obj: JsonObject; unknownFields: string[] } {
  const unknown: string[] = [];
  const out = pruneObject(obj, schema, "", unknown, true) as JsonObject;
  return { obj: out, unknownFields: unknown };
}

function pruneMeta(meta: Json, path: string, unknown: string[]): Json {
  if (!isObject(meta)) return meta;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(meta)) {
    if (OBJECT_META_FIELDS.has(key)) setOwn(out, key, value);
    else unknown.push(childPath(path, key));
  }
  return out;
}

function pruneObject(value: Json, schema: Schema, path: string, unknown: string[], resource: boolean): Json {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items ? value.map((item, i) => pruneValue(item, items, indexPath(path, i), unknown)) : value;
  }
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  const extra = additionalSchema(schema);
  for (const [key, child] of Object.entries(value)) {
    const p = childPath(path, key);
    if (resource && (key === "apiVersion" || key === "kind")) {
      setOwn(out, key, child);
    } else if (resource && key === "metadata") {
      setOwn(out, key, pruneMeta(child, p, unknown));
    } else if (schema.properties && Object.hasOwn(schema.properties, key)) {
      const prop = schema.properties[key] as Schema;
      if (child === null && prop.nullable !== true && prop.default === undefined) continue;
      setOwn(out, key, pruneValue(child, prop, p, unknown));
    } else if (extra) {
      setOwn(out, key, pruneValue(child, extra, p, unknown));
    } else if (preservesUnknown(schema) || schema.additionalProperties === true) {
      setOwn(out, key, child);
    } else {
      unknown.push(p);
    }
  }
  return out;
}

function pruneValue(value: Json, schema: Schema, path: string, unknown: string[]): Json {
  return pruneObject(value, schema, path, unknown, schema["x-kubernetes-embedded-resource"] === true);
}
