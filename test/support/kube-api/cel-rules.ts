import type { Environment } from "@marcbachmann/cel-js";
import { kubernetesCelEnvironment } from "./cel-environment.js";
import {
  childPath,
  duplicate,
  forbidden,
  indexPath,
  invalid,
  keyPath,
  required,
  type FieldError,
} from "./field-errors.js";
import { deepEqual, isObject, type Json, type JsonObject } from "./json.js";
import { itemKey } from "./object-fields.js";
import { additionalSchema, type Schema, type ValidationRule } from "./schema.js";

let sharedEnv: Environment | undefined;
const env = (): Environment => (sharedEnv ??= kubernetesCelEnvironment());

type Program = ReturnType<Environment["parse"]>;
const programs = new Map<string, Program>();

function program(source: string): Program {
  let p = programs.get(source);
  if (!p) {
    p = env().parse(source);
    programs.set(source, p);
  }
  return p;
}

/** Transition rules (those reading oldSelf) only run on update, where the old value exists. */
const isTransitionRule = (rule: ValidationRule): boolean => /\boldSelf\b/.test(rule.rule);

/** The syntax tree of a rule (or message expression); throws the parse error. */
export function parseRule(source: string): Program["ast"] {
  return program(source).ast;
}

/** The CEL type name the real server reports as the "value" of a failed rule. */
function celTypeName(schema: Schema): string {
  if (schema["x-kubernetes-int-or-string"]) return "integer-or-string";
  return schema.type ?? "object";
}

/** Converts JSON to CEL values by schema: integers become ints, date-times timestamps. */
export function toCel(value: Json | undefined, schema: Schema | undefined): unknown {
  if (value === undefined || value === null) return value ?? null;
  if (typeof value === "number") {
    const wantsInt = schema?.type === "integer" || (!schema?.type && Number.isInteger(value));
    return wantsInt || (schema?.["x-kubernetes-int-or-string"] && Number.isInteger(value))
      ? BigInt(value)
      : value;
  }
  if (typeof value === "string") {
    return schema?.type === "string" && schema.format === "date-time" && !Number.isNaN(Date.parse(value))
      ? new Date(value)
      : value;
  }
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map((item) => toCel(item, schema?.items));
  const out: Record<string, unknown> = {};
  const extra = schema ? additionalSchema(schema) : undefined;
  for (const [key, child] of Object.entries(value)) {
    const prop = schema?.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : extra;
    Object.defineProperty(out, key, { value: toCel(child, prop), enumerable: true });
  }
  return out;
}

/** Root-level rules see only name and generateName of metadata, like the real server. */
function rootView(obj: JsonObject): JsonObject {
  const out: JsonObject = { ...obj };
  if (isObject(obj.metadata)) {
    const meta: JsonObject = {};
    for (const key of ["name", "generateName"])
      if (obj.metadata[key] !== undefined) meta[key] = obj.metadata[key];
    out.metadata = meta;
  }
  return out;
}

function ruleFieldPath(base: string, fieldPath: string | undefined): string {
  if (!fieldPath) return base;
  let out = base;
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']*)'\]|\[(\d+)\]/g;
  for (const m of fieldPath.matchAll(re)) {
    if (m[1] !== undefined) out = childPath(out, m[1]);
    else if (m[2] !== undefined) out = childPath(out, m[2]);
    else if (m[3] !== undefined) out = indexPath(out, Number(m[3]));
  }
  return out;
}

function evaluateRule(
  rule: ValidationRule,
  vars: Record<string, unknown>,
  schema: Schema,
  path: string,
): FieldError | undefined {
  let result: unknown;
  try {
    result = program(rule.rule)(vars);
  } catch (err) {
    const message = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
    return invalid(path, celTypeName(schema), `${message} evaluating rule: ${rule.rule}`);
  }
  if (result === true) return undefined;
  if (result !== false) {
    return invalid(path, celTypeName(schema), `rule did not evaluate to a bool: ${rule.rule}`);
  }
  let message = rule.message ?? `failed rule: ${rule.rule}`;
  if (rule.messageExpression) {
    try {
      const m = program(rule.messageExpression)(vars);
      if (typeof m === "string" && m.trim() !== "") message = m;
    } catch {
      // The real server falls back to `message` when messageExpression fails.
    }
  }
  const field = ruleFieldPath(path, rule.fieldPath);
  switch (rule.reason) {
    case "FieldValueForbidden":
      return forbidden(field, message);
    case "FieldValueRequired":
      return required(field, message);
    case "FieldValueDuplicate":
      return { ...duplicate(field, celTypeName(schema)), detail: message };
    default:
      return invalid(field, celTypeName(schema), message);
  }
}

/**
 * Evaluates x-kubernetes-validations over an object tree. `old` is the stored object on update;
 * transition rules run only where the old value exists (correlated by property, map key, list-map
 * key or set value; items of atomic lists do not correlate).
 */
export function evaluateRules(obj: JsonObject, old: JsonObject | undefined, schema: Schema): FieldError[] {
  const errs: FieldError[] = [];
  const walk = (value: Json, prev: Json | undefined, s: Schema, path: string, root: boolean): void => {
    const rules = s["x-kubernetes-validations"] ?? [];
    if (rules.length > 0) {
      const self = toCel(root && isObject(value) ? rootView(value) : value, s);
      const oldSelf =
        prev === undefined ? undefined : toCel(root && isObject(prev) ? rootView(prev) : prev, s);
      for (const rule of rules) {
        if (isTransitionRule(rule) && prev === undefined) continue;
        const err = evaluateRule(rule, { self, oldSelf }, s, path || "<nil>");
        if (err) errs.push(err);
      }
    }
    if (isObject(value)) {
      const extra = additionalSchema(s);
      for (const [key, child] of Object.entries(value)) {
        if (root && (key === "apiVersion" || key === "kind" || key === "metadata")) continue;
        const declared = s.properties && Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
        const prop = declared ?? extra;
        if (!prop) continue;
        const oldChild = isObject(prev) && Object.hasOwn(prev, key) ? prev[key] : undefined;
        walk(child, oldChild, prop, declared ? childPath(path, key) : keyPath(path, key), false);
      }
    } else if (Array.isArray(value) && s.items) {
      const items = s.items;
      const listType = s["x-kubernetes-list-type"];
      const keys = s["x-kubernetes-list-map-keys"] ?? [];
      value.forEach((item, i) => {
        let oldItem: Json | undefined;
        if (Array.isArray(prev) && listType === "set") oldItem = prev.find((p) => deepEqual(p, item));
        if (Array.isArray(prev) && listType === "map") {
          const key = itemKey(item, keys);
          oldItem = key ? prev.find((p) => deepEqual(itemKey(p, keys), key)) : undefined;
        }
        walk(item, oldItem, items, indexPath(path, i), false);
      });
    }
  };
  walk(obj, old, schema, "", true);
  return errs;
}
