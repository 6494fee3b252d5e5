import {
  childPath,
  duplicate,
  indexPath,
  invalid,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
  type FieldError,
} from "./field-errors.js";
import { deepEqual, isObject, typeName, type Json } from "./json.js";
import { itemKey } from "./object-fields.js";
import { additionalSchema, type Schema } from "./schema.js";
import { matchesFormat } from "./schema-formats.js";

/**
 * OpenAPI v3 validation of a custom resource against its structural schema, with the field paths
 * and messages kube-openapi and apiextensions-apiserver produce.
 */
export function validateSchema(value: Json, schema: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  check(value, schema, path, errs);
  return errs;
}

const inBody = (path: string): string => `${path || "body"} in body`;

function typeMatches(value: Json, schema: Schema): boolean {
  if (schema["x-kubernetes-int-or-string"]) return typeof value === "string" || Number.isInteger(value);
  switch (schema.type) {
    case undefined:
      return true;
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return isObject(value);
    default:
      return true;
  }
}

function check(value: Json, schema: Schema, path: string, errs: FieldError[]): void {
  if (value === null) {
    if (schema.nullable === true || (!schema.type && !schema["x-kubernetes-int-or-string"])) return;
    const want = schema["x-kubernetes-int-or-string"] ? "integer,string" : (schema.type ?? "");
    errs.push(typeInvalid(path, "null", `${inBody(path)} must be of type ${want}: "null"`));
    return;
  }
  if (!typeMatches(value, schema)) {
    const want = schema["x-kubernetes-int-or-string"] ? "integer,string" : (schema.type ?? "");
    const actual = typeName(value);
    errs.push(typeInvalid(path, actual, `${inBody(path)} must be of type ${want}: "${actual}"`));
    return;
  }
  if (schema.enum && !schema.enum.some((e) => deepEqual(e, value))) {
    errs.push(notSupported(path, value, schema.enum));
  }
  if (typeof value === "string") checkString(value, schema, path, errs);
  if (typeof value === "number") checkNumber(value, schema, path, errs);
  if (Array.isArray(value)) checkArray(value, schema, path, errs);
  if (isObject(value)) checkObject(value, schema, path, errs);
  checkCombinators(value, schema, path, errs);
}

function checkString(value: string, schema: Schema, path: string, errs: FieldError[]): void {
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) errs.push(tooLong(path, schema.maxLength));
  if (schema.minLength !== undefined && length < schema.minLength) {
    errs.push(invalid(path, value, `${inBody(path)} should be at least ${schema.minLength} chars long`));
  }
  const pattern = schema.pattern === undefined ? undefined : compilePattern(schema.pattern);
  if (pattern && !pattern.test(value)) {
    errs.push(invalid(path, value, `${inBody(path)} should match '${schema.pattern}'`));
  }
  if (schema.format && !matchesFormat(schema.format, value)) {
    errs.push(
      invalid(path, value, `${inBody(path)} must be of type ${schema.format}: ${JSON.stringify(value)}`),
    );
  }
}

const patterns = new Map<string, RegExp | undefined>();

/** Go RE2 patterns, read as JavaScript regular expressions (unicode mode when they allow it). */
export function compilePattern(source: string): RegExp | undefined {
  if (!patterns.has(source)) {
    let re: RegExp | undefined;
    for (const flags of ["u", ""]) {
      try {
        re = new RegExp(source, flags);
        break;
      } catch {
        re = undefined;
      }
    }
    patterns.set(source, re);
  }
  return patterns.get(source);
}

function checkNumber(value: number, schema: Schema, path: string, errs: FieldError[]): void {
  if (schema.maximum !== undefined) {
    if (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum) {
      const how = schema.exclusiveMaximum ? "less than" : "less than or equal to";
      errs.push(invalid(path, value, `${inBody(path)} should be ${how} ${schema.maximum}`));
    }
  }
  if (schema.minimum !== undefined) {
    if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) {
      const how = schema.exclusiveMinimum ? "greater than" : "greater than or equal to";
      errs.push(invalid(path, value, `${inBody(path)} should be ${how} ${schema.minimum}`));
    }
  }
  if (schema.multipleOf !== undefined && schema.multipleOf !== 0) {
    const q = value / schema.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) {
      errs.push(invalid(path, value, `${inBody(path)} should be a multiple of ${schema.multipleOf}`));
    }
  }
}

function checkArray(value: Json[], schema: Schema, path: string, errs: FieldError[]): void {
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errs.push(tooMany(path, value.length, schema.maxItems));
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errs.push(invalid(path, value.length, `${inBody(path)} should have at least ${schema.minItems} items`));
  }
  const items = schema.items;
  if (items) value.forEach((item, i) => check(item, items, indexPath(path, i), errs));
  const listType = schema["x-kubernetes-list-type"];
  if (listType === "set") {
    value.forEach((item, i) => {
      if (value.slice(0, i).some((prev) => deepEqual(prev, item)))
        errs.push(duplicate(indexPath(path, i), item));
    });
  } else if (listType === "map") {
    const keys = schema["x-kubernetes-list-map-keys"] ?? [];
    const seen: Json[] = [];
    value.forEach((item, i) => {
      const key = itemKey(item, keys);
      if (!key) return;
      if (seen.some((k) => deepEqual(k, key))) errs.push(duplicate(indexPath(path, i), key));
      seen.push(key);
    });
  }
}

function checkObject(value: Record<string, Json>, schema: Schema, path: string, errs: FieldError[]): void {
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(value, name) || value[name] === null) errs.push(required(childPath(path, name)));
  }
  const count = Object.keys(value).length;
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    errs.push(tooMany(path, count, schema.maxProperties));
  }
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    errs.push(
      invalid(path, count, `${inBody(path)} should have at least ${schema.minProperties} properties`),
    );
  }
  const extra = additionalSchema(schema);
  for (const [key, child] of Object.entries(value)) {
    const prop = schema.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : extra;
    if (prop) check(child, prop, childPath(path, key), errs);
  }
}

function checkCombinators(value: Json, schema: Schema, path: string, errs: FieldError[]): void {
  const passes = (s: Schema): boolean => validateSchema(value, s, path).length === 0;
  for (const s of schema.allOf ?? []) check(value, s, path, errs);
  if (schema.anyOf && !schema.anyOf.some(passes)) {
    errs.push(invalid(path, value, `${inBody(path)} must validate at least one schema (anyOf)`));
  }
  if (schema.oneOf && schema.oneOf.filter(passes).length !== 1) {
    errs.push(invalid(path, value, `${inBody(path)} must validate one and only one schema (oneOf)`));
  }
  if (schema.not && passes(schema.not)) {
    errs.push(invalid(path, value, `${inBody(path)} must not validate the schema (not)`));
  }
}
