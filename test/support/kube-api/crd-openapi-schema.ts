import { forbidden, invalid, notSupported, required, type FieldError } from "./field-errors.js";
import { deepEqual, isObject, type Json, type JsonObject } from "./json.js";
import type { Schema } from "./schema.js";
import { prune } from "./schema-prune.js";
import { validateSchema } from "./schema-validate.js";

/*
 * apiextensions-apiserver's static checks of a version's openAPIV3Schema that are not about
 * structure or CEL (ValidateCustomResourceDefinitionOpenAPISchema and specStandardValidatorV3 in
 * pkg/apis/apiextensions/validation/validation.go, and defaulting/validation.go): supported
 * keywords, x-kubernetes-* combinations, list and map semantics, rule fields, defaults.
 */

const OPENAPI_V3_TYPES = ["array", "boolean", "integer", "number", "object", "string"];
const RULE_REASONS = [
  "FieldValueDuplicate",
  "FieldValueForbidden",
  "FieldValueInvalid",
  "FieldValueRequired",
];
const META_FIELDS = new Set(["metadata", "kind", "apiVersion"]);

/** JSONSchemaProps fields allowed at the root when the status subresource is on (by JSON name). */
const ROOT_FIELDS_WITH_STATUS = new Set([
  "description",
  "type",
  "format",
  "title",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "multipleOf",
  "required",
  "items",
  "properties",
  "externalDocs",
  "example",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-validations",
]);
/** The Go field names the real message lists. */
const ROOT_FIELD_NAMES =
  "[Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations]";

interface Context {
  allowDefaults: boolean;
  noDefaultsReason: string;
  insideResourceMeta: boolean;
}

const at = (path: string, name: string): string => `${path}.${name}`;
const key = (path: string, name: string): string => `${path}[${name}]`;
const hasNewlines = (s: string): boolean => /[\n\r]/.test(s);
const raw = (s: Schema): JsonObject => s as JsonObject;
const isSet = (v: Json | undefined): boolean => v !== undefined && v !== null;

function propertiesOf(s: Schema): [string, Schema][] {
  const props = raw(s).properties;
  if (!isObject(props)) return [];
  return Object.entries(props).flatMap(([name, p]) =>
    isObject(p) ? [[name, p as Schema] as [string, Schema]] : [],
  );
}

function schemaAt(s: Schema, name: string): Schema | undefined {
  const v = raw(s)[name];
  return isObject(v) ? v : undefined;
}

/** specStandardValidatorV3.validate: keywords the API server does not support. */
function standard(s: Schema, path: string, ctx: Context, errs: FieldError[]): void {
  const r = raw(s);
  const type = typeof r.type === "string" ? r.type : "";
  if (type !== "" && type !== "null" && !OPENAPI_V3_TYPES.includes(type)) {
    errs.push(notSupported(at(path, "type"), type, OPENAPI_V3_TYPES));
  }
  if (isSet(r.default) && !ctx.allowDefaults) {
    errs.push(
      forbidden(
        at(path, "default"),
        `must not be set${ctx.noDefaultsReason ? ` ${ctx.noDefaultsReason}` : ""}`,
      ),
    );
  }
  if (typeof r.id === "string" && r.id !== "") errs.push(forbidden(at(path, "id"), "id is not supported"));
  if (isSet(r.additionalItems))
    errs.push(forbidden(at(path, "additionalItems"), "additionalItems is not supported"));
  if (isObject(r.patternProperties) && Object.keys(r.patternProperties).length > 0) {
    errs.push(forbidden(at(path, "patternProperties"), "patternProperties is not supported"));
  }
  if (isObject(r.definitions) && Object.keys(r.definitions).length > 0) {
    errs.push(forbidden(at(path, "definitions"), "definitions is not supported"));
  }
  if (isSet(r.dependencies)) errs.push(forbidden(at(path, "dependencies"), "dependencies is not supported"));
  if (isSet(r.$ref)) errs.push(forbidden(at(path, "$ref"), "$ref is not supported"));
  if (type === "null") {
    errs.push(forbidden(at(path, "type"), "type cannot be set to null, use nullable as an alternative"));
  }
  if (Array.isArray(r.items) && r.items.length > 0) {
    errs.push(forbidden(at(path, "items"), "items must be a schema object and not an array"));
  }
  if (ctx.insideResourceMeta && r["x-kubernetes-embedded-resource"] === true) {
    errs.push(
      forbidden(at(path, "x-kubernetes-embedded-resource"), "must not be used inside of resource meta"),
    );
  }
}

function listAndMapSemantics(s: Schema, path: string, errs: FieldError[]): void {
  const r = raw(s);
  const type = typeof r.type === "string" ? r.type : "";
  const mapType = r["x-kubernetes-map-type"];
  const listType = r["x-kubernetes-list-type"];
  const mapKeys = Array.isArray(r["x-kubernetes-list-map-keys"]) ? r["x-kubernetes-list-map-keys"] : [];
  const items = schemaAt(s, "items");

  if (r["x-kubernetes-preserve-unknown-fields"] === false) {
    errs.push(invalid(at(path, "x-kubernetes-preserve-unknown-fields"), false, "must be true or undefined"));
  }
  if (isSet(mapType) && type !== "object") {
    const detail = "must be object if x-kubernetes-map-type is specified";
    errs.push(type === "" ? required(at(path, "type"), detail) : invalid(at(path, "type"), type, detail));
  }
  if (isSet(mapType) && mapType !== "atomic" && mapType !== "granular") {
    errs.push(notSupported(at(path, "x-kubernetes-map-type"), mapType ?? null, ["atomic", "granular"]));
  }
  if (isSet(listType) && type !== "array") {
    const detail = "must be array if x-kubernetes-list-type is specified";
    errs.push(type === "" ? required(at(path, "type"), detail) : invalid(at(path, "type"), type, detail));
  } else if (listType === "set" && items) {
    const detail = "must be atomic as item of a list with x-kubernetes-list-type=set";
    const itemList = raw(items)["x-kubernetes-list-type"];
    if (items.type === "array" && isSet(itemList) && itemList !== "atomic") {
      errs.push(invalid(at(at(path, "items"), "x-kubernetes-list-type"), itemList ?? null, detail));
    }
    if (items.type === "object" && raw(items)["x-kubernetes-map-type"] !== "atomic") {
      errs.push(invalid(at(at(path, "items"), "x-kubernetes-map-type"), itemList ?? null, detail));
    }
  }
  if (isSet(listType) && listType !== "atomic" && listType !== "set" && listType !== "map") {
    errs.push(notSupported(at(path, "x-kubernetes-list-type"), listType ?? null, ["atomic", "set", "map"]));
  }
  if (mapKeys.length > 0) {
    const detail = "must be map if x-kubernetes-list-map-keys is non-empty";
    if (!isSet(listType)) errs.push(required(at(path, "x-kubernetes-list-type"), detail));
    else if (listType !== "map")
      errs.push(invalid(at(path, "x-kubernetes-list-type"), listType ?? null, detail));
  }
  if (listType === "map") {
    if (mapKeys.length === 0) {
      errs.push(
        required(
          at(path, "x-kubernetes-list-map-keys"),
          "must not be empty if x-kubernetes-list-type is map",
        ),
      );
    }
    if (!isSet(r.items))
      errs.push(required(at(path, "items"), "must have a schema if x-kubernetes-list-type is map"));
    if (Array.isArray(r.items)) {
      errs.push(
        invalid(
          at(path, "items"),
          r.items,
          "must only have a single schema if x-kubernetes-list-type is map",
        ),
      );
    }
    if (items && items.type !== "object") {
      errs.push(
        invalid(
          at(at(path, "items"), "type"),
          items.type ?? "",
          "must be object if parent array's x-kubernetes-list-type is map",
        ),
      );
    }
    if (items && items.type === "object") {
      const props = new Map(propertiesOf(items));
      const seen = new Set<Json>();
      for (const k of mapKeys) {
        const prop = typeof k === "string" ? props.get(k) : undefined;
        if (!prop) {
          errs.push(
            invalid(
              at(path, "x-kubernetes-list-map-keys"),
              mapKeys,
              "entries must all be names of item properties",
            ),
          );
        } else if (prop.type === "array" || prop.type === "object") {
          errs.push(
            invalid(
              at(key(at(at(path, "items"), "properties"), String(k)), "type"),
              "object",
              "must be a scalar type if parent array's x-kubernetes-list-type is map",
            ),
          );
        }
        if (seen.has(k)) {
          errs.push(
            invalid(at(path, "x-kubernetes-list-map-keys"), mapKeys, "must not contain duplicate entries"),
          );
        }
        seen.add(k);
      }
    }
  }
  // validateMapListKeysMapSet: keys must be required or defaulted, and nothing nullable.
  if (items && (listType === "set" || listType === "map")) {
    if (items.nullable === true) {
      errs.push(
        forbidden(
          at(at(path, "items"), "nullable"),
          `cannot be nullable when x-kubernetes-list-type is ${listType}`,
        ),
      );
    }
    if (listType === "map") {
      const requiredKeys = new Set(Array.isArray(items.required) ? items.required : []);
      const props = new Map(propertiesOf(items));
      for (const k of mapKeys) {
        const prop = typeof k === "string" ? props.get(k) : undefined;
        if (!prop) continue;
        const propPath = key(at(at(path, "items"), "properties"), String(k));
        if (!requiredKeys.has(String(k)) && !isSet(raw(prop).default)) {
          errs.push(
            required(
              at(propPath, "default"),
              "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
            ),
          );
        }
        if (prop.nullable === true) {
          errs.push(
            forbidden(
              at(propPath, "nullable"),
              "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
            ),
          );
        }
      }
    }
  }
}

/**
 * cel.ValidFieldPath: `.a.b` and `['a.b']` steps, each naming something the schema declares (a
 * property, or a key of a map); list indexes are not supported.
 */
export function fieldPathTarget(schema: Schema, fieldPath: string): Schema | undefined {
  const re = /^(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\])/;
  let rest = fieldPath.trim();
  let node: Schema | undefined = schema;
  if (rest === "") return undefined;
  while (rest !== "" && node) {
    const m = re.exec(rest);
    if (!m) return undefined;
    rest = rest.slice(m[0].length);
    if (m[3] !== undefined) return undefined;
    const name = m[1] ?? (m[2] ?? "").replace(/\\(.)/g, "$1");
    const props: Map<string, Schema> = new Map(propertiesOf(node));
    node = props.get(name) ?? schemaAt(node, "additionalProperties");
  }
  return rest === "" ? node : undefined;
}

function ruleFields(s: Schema, path: string, errs: FieldError[]): void {
  const rules = raw(s)["x-kubernetes-validations"];
  if (!Array.isArray(rules)) return;
  rules.forEach((rule, i) => {
    const p = `${path}.x-kubernetes-validations[${i}]`;
    if (!isObject(rule)) return;
    const str = (v: Json | undefined): string => (typeof v === "string" ? v : "");
    const text = str(rule.rule);
    const message = str(rule.message);
    const messageExpression = str(rule.messageExpression);
    const fieldPath = str(rule.fieldPath);
    if (text.trim() === "") errs.push(required(at(p, "rule"), "rule is not specified"));
    else if (message !== "" && message.trim() === "") {
      errs.push(invalid(at(p, "message"), message, "message must be non-empty if specified"));
    } else if (hasNewlines(message.trim())) {
      errs.push(invalid(at(p, "message"), message, "message must not contain line breaks"));
    } else if (hasNewlines(text.trim()) && message.trim() === "") {
      errs.push(required(at(p, "message"), "message must be specified if rule contains line breaks"));
    }
    if (messageExpression !== "" && messageExpression.trim() === "") {
      errs.push(required(at(p, "messageExpression"), "messageExpression must be non-empty if specified"));
    }
    if (isSet(rule.reason) && !RULE_REASONS.includes(str(rule.reason))) {
      errs.push(notSupported(at(p, "reason"), rule.reason ?? null, RULE_REASONS));
    }
    if (fieldPath !== "" && fieldPath.trim() === "") {
      errs.push(invalid(at(p, "fieldPath"), fieldPath, "fieldPath must be non-empty if specified"));
    }
    if (hasNewlines(fieldPath)) {
      errs.push(invalid(at(p, "fieldPath"), fieldPath, "fieldPath must not contain line breaks"));
    }
    if (fieldPath.trim() !== "" && !fieldPathTarget(s, fieldPath)) {
      errs.push(invalid(at(p, "fieldPath"), fieldPath, "fieldPath must be a valid path"));
    }
  });
}

function walk(s: Schema, path: string, ctx: Context, isRoot: boolean, errs: FieldError[]): void {
  const r = raw(s);
  standard(s, path, ctx, errs);
  if (r.uniqueItems === true) {
    errs.push(
      forbidden(
        at(path, "uniqueItems"),
        "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
      ),
    );
  }
  const props = propertiesOf(s);
  if (isSet(r.additionalProperties)) {
    if (props.length > 0 && (r.additionalProperties === false || isObject(r.additionalProperties))) {
      errs.push(
        forbidden(
          at(path, "additionalProperties"),
          "additionalProperties and properties are mutual exclusive",
        ),
      );
    }
    const extra = schemaAt(s, "additionalProperties");
    if (extra) {
      const sub = ctx.insideResourceMeta
        ? {
            ...ctx,
            allowDefaults: false,
            noDefaultsReason: "inside additionalProperties applying to object metadata",
          }
        : ctx;
      walk(extra, at(path, "additionalProperties"), sub, false, errs);
    }
  }
  for (const [name, prop] of props) {
    let sub = ctx;
    if ((isRoot || r["x-kubernetes-embedded-resource"] === true) && META_FIELDS.has(name)) {
      sub = { ...sub, insideResourceMeta: true };
      if (isRoot) sub = { ...sub, allowDefaults: false, noDefaultsReason: `in top-level ${name}` };
    }
    walk(prop, key(at(path, "properties"), name), sub, false, errs);
  }
  const not = schemaAt(s, "not");
  if (not) walk(not, at(path, "not"), ctx, false, errs);
  for (const name of ["allOf", "oneOf", "anyOf"] as const) {
    const list = r[name];
    if (Array.isArray(list)) {
      list.forEach((n, i) => isObject(n) && walk(n, `${path}.${name}[${i}]`, ctx, false, errs));
    }
  }
  const items = schemaAt(s, "items");
  if (items) walk(items, at(path, "items"), ctx, false, errs);
  listAndMapSemantics(s, path, errs);
  ruleFields(s, path, errs);
}

/** Checks of the root alone: nullable, and the few keywords allowed beside a status subresource. */
function rootChecks(
  schema: Schema,
  schemaPath: string,
  statusSubresource: boolean,
  errs: FieldError[],
): void {
  const r = raw(schema);
  const path = `${schemaPath}.openAPIV3Schema`;
  if (statusSubresource) {
    for (const [name, value] of Object.entries(r)) {
      if (value === null || value === false || value === "" || value === 0) continue;
      if (name === "type") {
        if (value !== "object") {
          errs.push(
            invalid(
              at(path, "type"),
              value,
              `only "object" is allowed as the type at the root of the schema if the status subresource is enabled`,
            ),
          );
          break;
        }
        continue;
      }
      if (!ROOT_FIELDS_WITH_STATUS.has(name)) {
        errs.push(
          invalid(
            path,
            name,
            `only ${ROOT_FIELD_NAMES} fields are allowed at the root of the schema if the status subresource is enabled`,
          ),
        );
        break;
      }
    }
  }
  if (r.nullable === true) errs.push(forbidden(at(path, "nullable"), "nullable cannot be true at the root"));
}

/** The openAPIV3Schema checks that do not need the schema to be structural. */
export function openApiSchemaErrors(
  schema: Schema,
  schemaPath: string,
  statusSubresource: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  rootChecks(schema, schemaPath, statusSubresource, errs);
  const ctx: Context = { allowDefaults: true, noDefaultsReason: "", insideResourceMeta: false };
  walk(schema, `${schemaPath}.openAPIV3Schema`, ctx, true, errs);
  return errs;
}

/**
 * structuraldefaulting.ValidateDefaults: every default validates against its own schema and has
 * no fields pruning would drop. (additionalProperties are not followed: defaults are refused
 * there.) Only for structural schemas.
 */
export function defaultErrors(schema: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const visit = (s: Schema, p: string, insideMeta: boolean): void => {
    const dflt = raw(s).default;
    if (isSet(dflt) && dflt !== undefined && !insideMeta) {
      const pruned = prune({ value: dflt }, { type: "object", properties: { value: s } }).obj.value;
      if (!deepEqual(pruned, dflt))
        errs.push(invalid(at(p, "default"), dflt, "must not have unknown fields"));
      errs.push(...validateSchema(dflt, s, at(p, "default")));
    }
    const items = schemaAt(s, "items");
    if (items) visit(items, at(p, "items"), insideMeta);
    for (const [name, prop] of propertiesOf(s)) {
      visit(prop, key(at(p, "properties"), name), insideMeta || (p === path && META_FIELDS.has(name)));
    }
  };
  visit(schema, path, false);
  return errs;
}
