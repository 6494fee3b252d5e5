import { forbidden, invalid, required, type FieldError } from "./field-errors.js";
import { isObject, type Json, type JsonObject } from "./json.js";
import type { Schema } from "./schema.js";

/*
 * apiextensions-apiserver's structural schema rules (pkg/apiserver/schema/validation.go and
 * complete.go): every node typed, value validations (allOf/anyOf/oneOf/not) free of anything
 * structural, the root `metadata` restricted to name and generateName, and every field named in
 * a value validation declared outside it too.
 */

type Level = "root" | "item" | "field";

const at = (path: string, name: string): string => `${path}.${name}`;
const key = (path: string, name: string): string => `${path}[${name}]`;

/** The properties of a schema node (own keys only: bodies may carry "__proto__"). */
function propertiesOf(s: Schema): [string, Schema][] {
  const props = (s as JsonObject).properties;
  if (!isObject(props)) return [];
  return Object.entries(props).flatMap(([name, p]) =>
    isObject(p) ? [[name, p as Schema] as [string, Schema]] : [],
  );
}

function itemsOf(s: Schema): Schema | undefined {
  return isObject(s.items) ? s.items : undefined;
}

function additionalOf(s: Schema): Schema | undefined {
  return isObject(s.additionalProperties) ? s.additionalProperties : undefined;
}

/** The `anyOf: [{type: integer}, {type: string}]` of int-or-string fields, the one allowed exception. */
function isIntOrStringAnyOf(anyOf: unknown): boolean {
  return (
    Array.isArray(anyOf) &&
    anyOf.length === 2 &&
    anyOf.every((a, i) => isObject(a) && Object.keys(a).length === 1 && a.type === ["integer", "string"][i])
  );
}

/** Keys a value validation (inside allOf/anyOf/oneOf/not) must not carry, with the real messages. */
const NESTED_FORBIDDEN: [string, (v: unknown) => boolean, string][] = [
  ["type", (v) => typeof v === "string" && v !== "", "must be empty to be structural"],
  ["default", (v) => v !== undefined && v !== null, "must be undefined to be structural"],
  ["title", (v) => typeof v === "string" && v !== "", "must be empty to be structural"],
  ["description", (v) => typeof v === "string" && v !== "", "must be empty to be structural"],
  ["nullable", (v) => v === true, "must be false to be structural"],
  ["externalDocs", (v) => v !== undefined && v !== null, "must be undefined to be structural"],
  ["x-kubernetes-preserve-unknown-fields", (v) => v === true, "must be false to be structural"],
  ["x-kubernetes-embedded-resource", (v) => v === true, "must be false to be structural"],
  ["x-kubernetes-int-or-string", (v) => v === true, "must be false to be structural"],
  ["x-kubernetes-list-map-keys", (v) => Array.isArray(v) && v.length > 0, "must be empty to be structural"],
  ["x-kubernetes-list-type", (v) => v !== undefined && v !== null, "must be undefined to be structural"],
  ["x-kubernetes-map-type", (v) => v !== undefined && v !== null, "must be undefined to be structural"],
  ["x-kubernetes-validations", (v) => Array.isArray(v) && v.length > 0, "must be empty to be structural"],
  ["additionalProperties", (v) => v !== undefined && v !== null, "must be undefined to be structural"],
];

function nestedValueValidation(
  v: Schema | undefined,
  skipAnyOf: boolean,
  path: string,
  errs: FieldError[],
): void {
  if (!v) return;
  valueValidation(v, skipAnyOf, false, path, errs);
  const items = itemsOf(v);
  if (items) nestedValueValidation(items, false, at(path, "items"), errs);
  for (const [name, prop] of propertiesOf(v))
    nestedValueValidation(prop, false, key(at(path, "properties"), name), errs);
  for (const [name, isSet, detail] of NESTED_FORBIDDEN) {
    if (isSet((v as JsonObject)[name])) errs.push(forbidden(at(path, name), detail));
  }
  // Reasoning about metadata in a nested context could restrict it in ways nobody wants.
  if (propertiesOf(v).some(([name]) => name === "metadata")) {
    errs.push(
      forbidden(key(at(path, "properties"), "metadata"), "must not be specified in a nested context"),
    );
  }
}

function valueValidation(
  s: Schema,
  skipAnyOf: boolean,
  skipFirstAllOfAnyOf: boolean,
  path: string,
  errs: FieldError[],
): void {
  const list = (name: "allOf" | "anyOf" | "oneOf"): Schema[] =>
    Array.isArray(s[name]) ? s[name].filter((x) => isObject(x as Json)) : [];
  if (!skipAnyOf)
    list("anyOf").forEach((a, i) => nestedValueValidation(a, false, `${path}.anyOf[${i}]`, errs));
  list("allOf").forEach((a, i) =>
    nestedValueValidation(a, skipFirstAllOfAnyOf && i === 0, `${path}.allOf[${i}]`, errs),
  );
  list("oneOf").forEach((a, i) => nestedValueValidation(a, false, `${path}.oneOf[${i}]`, errs));
  if (isObject(s.not)) nestedValueValidation(s.not, false, at(path, "not"), errs);
  if (typeof s.pattern === "string" && s.pattern !== "") {
    const why = re2Error(s.pattern);
    if (why)
      errs.push(
        invalid(at(path, "pattern"), s.pattern, `must be a valid regular expression, but isn't: ${why}`),
      );
  }
}

/**
 * Why Go's regexp (RE2) would not compile `pattern`, approximated: what JavaScript cannot compile,
 * plus the Perl features RE2 leaves out (lookaround, backreferences).
 */
function re2Error(pattern: string): string | undefined {
  const perl = /\\(?:[1-9]|k<)|\(\?<?[=!]/.exec(pattern.replace(/\\\\/g, ""));
  if (perl) return `error parsing regexp: invalid or unsupported Perl syntax: \`${perl[0]}\``;
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return `error parsing regexp: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The root `metadata` may only restrict name and generateName (and say it is an object). */
function rootMetadata(meta: Schema, path: string, errs: FieldError[]): void {
  const rest: JsonObject = { ...(meta as JsonObject) };
  delete rest.type;
  delete rest.default;
  const names = propertiesOf(meta).map(([n]) => n);
  if (names.length > 0 && names.length <= 2 && names.every((n) => n === "name" || n === "generateName")) {
    delete rest.properties;
  }
  // Keys the structural schema does not keep (example, externalDocs...) are not "specified".
  for (const k of ["example", "externalDocs", "$schema", "id"]) delete rest[k];
  if (isObject(rest.properties) && Object.keys(rest.properties).length === 0) delete rest.properties;
  if (Object.keys(rest).length > 0) {
    errs.push(
      forbidden(
        path,
        "must not specify anything other than name and generateName, but metadata is implicitly specified",
      ),
    );
  }
}

function invariants(s: Schema, level: Level, path: string, errs: FieldError[]): void {
  const items = itemsOf(s);
  if (s.type === "array" && !items) errs.push(required(at(path, "items"), "must be specified"));
  if (items) invariants(items, "item", at(path, "items"), errs);
  for (const [name, prop] of propertiesOf(s))
    invariants(prop, "field", key(at(path, "properties"), name), errs);
  const extra = additionalOf(s);
  if (s.additionalProperties !== undefined && s.additionalProperties !== null) {
    if (level === "root")
      errs.push(forbidden(at(path, "additionalProperties"), "must not be used at the root"));
    if (extra) invariants(extra, "field", at(path, "additionalProperties"), errs);
  }
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  const embedded = s["x-kubernetes-embedded-resource"] === true;
  if (intOrString && preserve) {
    errs.push(
      invalid(
        at(path, "x-kubernetes-preserve-unknown-fields"),
        true,
        "must be false if x-kubernetes-int-or-string is true",
      ),
    );
  }
  if (intOrString && embedded) {
    errs.push(
      invalid(
        at(path, "x-kubernetes-embedded-resource"),
        true,
        "must be false if x-kubernetes-int-or-string is true",
      ),
    );
  }
  const allOf = Array.isArray(s.allOf) ? s.allOf : [];
  valueValidation(s, isIntOrStringAnyOf(s.anyOf), isIntOrStringAnyOf(allOf[0]?.anyOf), path, errs);

  const type = typeof s.type === "string" ? s.type : "";
  if (embedded && type !== "object") {
    const detail = "must be object if x-kubernetes-embedded-resource is true";
    errs.push(type === "" ? required(at(path, "type"), detail) : invalid(at(path, "type"), type, detail));
  } else if (type === "" && !intOrString && !preserve) {
    const detail = {
      root: "must not be empty at the root",
      item: "must not be empty for specified array items",
      field: "must not be empty for specified object fields",
    }[level];
    errs.push(required(at(path, "type"), detail));
  }
  if (embedded && s.additionalProperties !== undefined && s.additionalProperties !== null) {
    errs.push(
      forbidden(
        at(path, "additionalProperties"),
        "must not be used if x-kubernetes-embedded-resource is set",
      ),
    );
  }
  if (level === "root" && type !== "" && type !== "object") {
    errs.push(invalid(at(path, "type"), type, "must be object at the root"));
  }
  const checkMetadata = level === "root" || embedded;
  const props = new Map(propertiesOf(s));
  if (checkMetadata) {
    for (const name of ["kind", "apiVersion"]) {
      const p = props.get(name);
      if (p && p.type !== "string") {
        errs.push(invalid(at(key(at(path, "properties"), name), "type"), p.type ?? "", "must be string"));
      }
    }
  }
  const meta = props.get("metadata");
  if (meta) {
    const metaPath = key(at(path, "properties"), "metadata");
    if (checkMetadata && meta.type !== "object") {
      errs.push(invalid(at(metaPath, "type"), meta.type ?? "", "must be object"));
    }
    if (level === "root") rootMetadata(meta, metaPath, errs);
  }
  if (embedded && !preserve && props.size === 0) {
    errs.push(
      required(
        at(path, "properties"),
        "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
      ),
    );
  }
}

/** Every field or list a value validation names must be declared outside it as well. */
function valueCompleteness(v: Schema, s: Schema, sPath: string, vPath: string, errs: FieldError[]): void {
  if (isObject(v.not)) nestedCompleteness(v.not, s, sPath, at(vPath, "not"), errs);
  for (const name of ["allOf", "anyOf", "oneOf"] as const) {
    const list = v[name];
    if (!Array.isArray(list)) continue;
    list.forEach((n, i) => {
      if (isObject(n)) nestedCompleteness(n, s, sPath, `${vPath}.${name}[${i}]`, errs);
    });
  }
}

function nestedCompleteness(
  v: Schema | undefined,
  s: Schema | undefined,
  sPath: string,
  vPath: string,
  errs: FieldError[],
): void {
  if (!v) return;
  if (!s) {
    errs.push(required(sPath, `because it is defined in ${vPath}`));
    return;
  }
  valueCompleteness(v, s, sPath, vPath, errs);
  nestedCompleteness(itemsOf(v), itemsOf(s), at(sPath, "items"), at(vPath, "items"), errs);
  const declared = new Map(propertiesOf(s));
  for (const [name, prop] of propertiesOf(v)) {
    const sp = key(at(sPath, "properties"), name);
    const vp = key(at(vPath, "properties"), name);
    const target = declared.get(name);
    if (!target) errs.push(required(sp, `because it is defined in ${vp}`));
    else nestedCompleteness(prop, target, sp, vp, errs);
  }
}

/**
 * Why `schema` (a version's openAPIV3Schema, at `path`) is not structural; empty when it is.
 * Sorted by message, as the real server sorts them.
 */
export function structuralErrors(schema: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  invariants(schema, "root", path, errs);
  // Like the real server, completeness starts from the root's own value validations only.
  valueCompleteness(schema, schema, path, path, errs);
  return errs.sort((a, b) => (`${a.field}: ${a.detail}` < `${b.field}: ${b.detail}` ? -1 : 1));
}
