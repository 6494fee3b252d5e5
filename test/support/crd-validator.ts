import { isIP } from "node:net";
import { Environment } from "@marcbachmann/cel-js";
import { Ajv } from "ajv";
import type { ValidateFunction } from "ajv";
import type { CustomResourceDefinition, JSONSchemaProps } from "../../src/crd/index.js";
import { customResourceDefinitions } from "../../src/crd/index.js";

/*
 * What the API server checks when a custom resource is created, taken from the CRD objects the
 * chart installs (customResourceDefinitions(), the single source): schema defaults, the OpenAPI
 * schema (ajv standing in for the API server's validator), set and map list uniqueness, and every
 * x-kubernetes-validations rule (cel-js standing in for cel-go). Update-only rules (oldSelf) are left out: these are
 * creates. Object metadata is the API server's own business and is not checked here.
 */

const cel = new Environment({ unlistedVariablesAreDyn: true })
  .registerVariable("self", "dyn")
  .registerVariable("oldSelf", "dyn")
  // Kubernetes' regex library: Go's FindString, the leftmost match or "".
  .registerFunction(
    "string.find(string): string",
    (s: string, re: string) => new RegExp(re).exec(s)?.[0] ?? "",
  );

/** JSON as CEL sees it: integers are int64. */
function toCel(value: unknown): unknown {
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  return value;
}

function kubeAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajv.addVocabulary([
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-validations",
    "x-kubernetes-map-type",
  ]);
  ajv.addFormat("date-time", (v: string) => !isNaN(Date.parse(v)));
  ajv.addFormat("byte", (v: string) => Buffer.from(v, "base64").toString("base64") === v);
  ajv.addFormat("cidr", (v: string) => {
    const [ip, bits, extra] = v.split("/");
    const family = isIP(ip ?? "");
    return (
      extra === undefined &&
      family > 0 &&
      /^\d+$/.test(bits ?? "") &&
      Number(bits) <= (family === 4 ? 32 : 128)
    );
  });
  return ajv;
}

function applyDefaults(schema: JSONSchemaProps, value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return schema.items ? value.map((v) => applyDefaults(schema.items!, v)) : value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (out[name] === undefined && prop.default !== undefined) out[name] = structuredClone(prop.default);
    if (out[name] !== undefined) out[name] = applyDefaults(prop, out[name]);
  }
  if (schema.additionalProperties) {
    for (const [k, v] of Object.entries(out)) out[k] = applyDefaults(schema.additionalProperties, v);
  }
  return out;
}

/** Duplicates in lists the schema declares as sets or maps (the API server refuses them). */
function listTypeErrors(schema: JSONSchemaProps, value: unknown[], path: string): string[] {
  const listType = schema["x-kubernetes-list-type"];
  if (listType !== "set" && listType !== "map") return [];
  const keys = schema["x-kubernetes-list-map-keys"] ?? [];
  const keyOf = (item: unknown) =>
    JSON.stringify(listType === "set" ? item : keys.map((k) => (item as Record<string, unknown>)[k]));
  const seen = new Set<string>();
  const out: string[] = [];
  value.forEach((item, i) => {
    const key = keyOf(item);
    if (seen.has(key)) out.push(`${path}[${i}]: Duplicate value`);
    seen.add(key);
  });
  return out;
}

/**
 * Every CEL rule that `value` breaks, and duplicates in set and map lists, walking schema and
 * value together.
 */
function extensionErrors(schema: JSONSchemaProps, value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  const out: string[] = [];
  for (const rule of schema["x-kubernetes-validations"] ?? []) {
    if (/\boldSelf\b/.test(rule.rule)) continue;
    const ok = cel.evaluate(rule.rule, { self: toCel(value) }) as unknown;
    if (ok !== true) out.push(`${path}${rule.fieldPath ?? ""}: ${rule.message}`);
  }
  if (Array.isArray(value)) {
    out.push(...listTypeErrors(schema, value, path));
    if (schema.items)
      value.forEach((v, i) => out.push(...extensionErrors(schema.items!, v, `${path}[${i}]`)));
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const child = schema.properties?.[k] ?? schema.additionalProperties;
      if (child) out.push(...extensionErrors(child, v, `${path}.${k}`));
    }
  }
  return out;
}

export interface CrdValidator {
  /** The problems the API server would report for this object; empty when it would accept it. */
  errors(object: unknown): string[];
}

const validators = new Map<string, CrdValidator>();

function validatorFor(crd: CustomResourceDefinition): CrdValidator {
  const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;
  const validate: ValidateFunction = kubeAjv().compile(schema);
  return {
    errors(object) {
      const withDefaults = applyDefaults(schema, object);
      if (!validate(withDefaults)) {
        return (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"}: ${e.message ?? "invalid"}`);
      }
      return extensionErrors(schema, withDefaults, "");
    },
  };
}

/** The validator for a kind (`AccessToken`, `TokenServer`, `ClusterTokenServer`). */
export function crdValidator(kind: string): CrdValidator {
  let validator = validators.get(kind);
  if (!validator) {
    const crd = customResourceDefinitions().find((c) => c.spec.names.kind === kind);
    if (!crd) throw new Error(`no CRD for kind ${kind}`);
    validators.set(kind, (validator = validatorFor(crd)));
  }
  return validator;
}

/** Problems with any tokenplane object: an unknown apiVersion or kind is one too. */
export function customResourceErrors(object: unknown): string[] {
  const { apiVersion, kind } = (object ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const crd = customResourceDefinitions().find((c) => c.spec.names.kind === kind);
  if (!crd) return [`kind: ${String(kind)} is not a tokenplane kind`];
  const expected = `${crd.spec.group}/${crd.spec.versions[0]!.name}`;
  if (apiVersion !== expected) return [`apiVersion: must be ${expected}`];
  return crdValidator(String(kind)).errors(object);
}
