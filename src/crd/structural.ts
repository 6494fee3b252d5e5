import * as z from "zod";
import type { CelRule } from "./rule.js";
import { crdMeta, validationRule } from "./rule.js";

/*
 * zod → Kubernetes structural OpenAPI v3 schema. A small walker rather than z.toJSONSchema:
 * the API server accepts a narrow dialect (every node typed, no $ref, no additionalProperties:
 * false, formats of its own, CEL rules beside the fields), and saying exactly that is shorter
 * than undoing what a general JSON Schema generator emits. Anything it cannot express throws.
 */

export type SchemaType = "object" | "array" | "string" | "integer" | "number" | "boolean";

export interface ValidationRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: string;
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps the converter produces. */
export interface JSONSchemaProps {
  description?: string;
  type: SchemaType;
  format?: string;
  enum?: string[];
  default?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, JSONSchemaProps>;
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: ValidationRule[];
}

/** Where a rule sits: property names from the root, `*` for "every list item / map value". */
export interface PlacedRule {
  path: string[];
  rule: CelRule<never>;
}

interface Walk {
  rules: PlacedRule[];
}

/** Strips optional/default wrappers, returning the layers outermost first and the default. */
function layersOf(schema: z.ZodType): { layers: z.ZodType[]; inner: z.ZodType; dflt?: { value: unknown } } {
  const layers: z.ZodType[] = [];
  let s = schema;
  let dflt: { value: unknown } | undefined;
  for (;;) {
    layers.push(s);
    if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodDefault) {
      dflt ??= { value: s.def.defaultValue };
      s = s.unwrap() as z.ZodType;
    } else break;
  }
  return { layers, inner: s, ...(dflt ? { dflt } : {}) };
}

interface CheckDef {
  check: string;
  maximum?: number;
  minimum?: number;
  format?: string;
  pattern?: RegExp;
}

function checksOf(schema: z.ZodType): CheckDef[] {
  const checks = (schema.def as { checks?: { _zod: { def: CheckDef } }[] }).checks ?? [];
  return checks.map((c) => c._zod.def);
}

function fail(path: readonly string[], what: string): never {
  throw new Error(`CRD schema at ${path.join(".") || "(root)"}: ${what}`);
}

function lengthBounds(
  schema: z.ZodType,
  path: readonly string[],
): { min?: number; max?: number; pattern?: string } {
  const out: { min?: number; max?: number; pattern?: string } = {};
  for (const c of checksOf(schema)) {
    if (c.check === "max_length") out.max = c.maximum;
    else if (c.check === "min_length") out.min = c.minimum;
    else if (c.check === "string_format" && c.format === "regex" && c.pattern) {
      if (out.pattern !== undefined) fail(path, "more than one pattern");
      // RegExp#source escapes "/", which RE2 reads the same; unescaped reads better in YAML.
      out.pattern = c.pattern.source.replace(/(?<!\\)\\\//g, "/");
    } else if (c.check === "string_format") fail(path, `zod format ${c.format} has no CRD equivalent`);
    else if (c.check !== "custom") fail(path, `unsupported check ${c.check}`);
  }
  return out;
}

function convertInner(s: z.ZodType, path: string[], walk: Walk): JSONSchemaProps {
  if (s instanceof z.ZodObject) {
    if (crdMeta(s).opaqueObject) return { type: "object" };
    if (s.def.catchall !== undefined) fail(path, "objects with unknown keys are not structural");
    const properties: Record<string, JSONSchemaProps> = {};
    const required: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- types the entries (the shape is untyped here)
    for (const [name, prop] of Object.entries(s.shape as Record<string, z.ZodType>)) {
      properties[name] = convert(prop, [...path, name], walk);
      if (!prop.isOptional()) required.push(name);
    }
    return { type: "object", ...(required.length ? { required } : {}), properties };
  }
  if (s instanceof z.ZodString) {
    const b = lengthBounds(s, path);
    return {
      type: "string",
      ...(b.min !== undefined && b.min > 0 ? { minLength: b.min } : {}),
      ...(b.max !== undefined ? { maxLength: b.max } : {}),
      ...(b.pattern !== undefined ? { pattern: b.pattern } : {}),
    };
  }
  if (s instanceof z.ZodNumber) {
    if (!s.isInt) fail(path, "only integers are supported");
    for (const c of checksOf(s)) {
      if ((c as { inclusive?: boolean }).inclusive === false) fail(path, "use min/max, not exclusive bounds");
    }
    const min = s.minValue;
    const max = s.maxValue;
    return {
      type: "integer",
      ...(min !== null && min > Number.MIN_SAFE_INTEGER ? { minimum: min } : {}),
      ...(max !== null && max < Number.MAX_SAFE_INTEGER ? { maximum: max } : {}),
    };
  }
  if (s instanceof z.ZodBoolean) return { type: "boolean" };
  if (s instanceof z.ZodEnum) return { type: "string", enum: s.options.map(String) };
  if (s instanceof z.ZodLiteral) {
    const values = [...s.values];
    if (!values.every((v) => typeof v === "string")) fail(path, "only string literals are supported");
    return { type: "string", enum: values };
  }
  if (s instanceof z.ZodArray) {
    const b = lengthBounds(s, path);
    if (b.max === undefined) fail(path, "lists need maxItems (the CEL cost estimator relies on it)");
    return {
      type: "array",
      ...(b.min !== undefined && b.min > 0 ? { minItems: b.min } : {}),
      maxItems: b.max,
      items: convert(s.element as z.ZodType, [...path, "*"], walk),
    };
  }
  if (s instanceof z.ZodRecord) {
    if (!(s.keyType instanceof z.ZodString)) fail(path, "map keys must be strings");
    return { type: "object", additionalProperties: convert(s.valueType as z.ZodType, [...path, "*"], walk) };
  }
  return fail(path, `zod type ${s.def.type} has no CRD equivalent`);
}

function convert(schema: z.ZodType, path: string[], walk: Walk): JSONSchemaProps {
  const { layers, inner, dflt } = layersOf(schema);
  const node = convertInner(inner, path, walk);
  const description = layers.map((l) => l.description).find((d) => d !== undefined);
  const rules = new Set<CelRule<never>>();
  let extra: Record<string, unknown> = {};
  for (const layer of [...layers].reverse()) {
    const meta = crdMeta(layer);
    for (const r of meta.rules ?? []) rules.add(r);
    extra = { ...extra, ...meta.openapi };
  }
  for (const r of rules) walk.rules.push({ path, rule: r });
  const { type, ...constraints } = node;
  // Key order is for people reading the YAML: what it is, then what it allows, then children.
  const { properties, items, additionalProperties, required, ...scalarConstraints } = constraints;
  return {
    ...(description !== undefined ? { description } : {}),
    type,
    ...scalarConstraints,
    ...(dflt ? { default: dflt.value } : {}),
    ...extra,
    ...(required ? { required } : {}),
    ...(properties ? { properties } : {}),
    ...(items ? { items } : {}),
    ...(additionalProperties ? { additionalProperties } : {}),
    ...(rules.size ? { "x-kubernetes-validations": [...rules].map(validationRule) } : {}),
  };
}

/** The structural schema of a zod schema, and every CEL rule in it with where it sits. */
export function toStructuralSchema(schema: z.ZodType): { schema: JSONSchemaProps; rules: PlacedRule[] } {
  const walk: Walk = { rules: [] };
  return { schema: convert(schema, [], walk), rules: walk.rules };
}

const ALLOWED_KEYWORDS = new Set([
  "description",
  "type",
  "format",
  "enum",
  "default",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "minItems",
  "maxItems",
  "maxProperties",
  "required",
  "properties",
  "items",
  "additionalProperties",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-validations",
]);

/**
 * kube-apiserver lets the root `metadata` schema say only `type: object` and restrict `name` and
 * `generateName`; anything else (a description too) is "metadata is implicitly specified".
 */
function rootMetadataProblems(node: JSONSchemaProps): string[] {
  const problems: string[] = node.type === "object" ? [] : ["metadata: type must be object"];
  for (const key of Object.keys(node))
    if (key !== "type" && key !== "properties")
      problems.push(`metadata: keyword ${key} (only name and generateName may be restricted)`);
  for (const name of Object.keys(node.properties ?? {}))
    if (name !== "name" && name !== "generateName")
      problems.push(`metadata: property ${name} (only name and generateName may be restricted)`);
  return problems;
}

/**
 * What the API server (and GitOps tools) would object to in a CRD's openAPIV3Schema; empty when
 * fine. Defaults are allowed only on scalar fields directly under `spec`: a default inside a
 * list item or nested object makes Argo CD and Flux report a diff that never goes away.
 */
export function structuralProblems(root: JSONSchemaProps): string[] {
  const problems: string[] = [];
  const visit = (node: JSONSchemaProps, path: string[]) => {
    const at = path.join(".") || "(root)";
    for (const key of Object.keys(node))
      if (!ALLOWED_KEYWORDS.has(key)) problems.push(`${at}: keyword ${key}`);
    if (!node.type) problems.push(`${at}: no type`);
    if (node.properties && node.additionalProperties)
      problems.push(`${at}: properties and additionalProperties`);
    if (path.length === 1 && path[0] === "metadata") problems.push(...rootMetadataProblems(node));
    const rootTypeMeta = path.length === 1 && (path[0] === "apiVersion" || path[0] === "kind");
    if (node.type === "string" && node.maxLength === undefined && node.enum === undefined && !rootTypeMeta)
      problems.push(`${at}: string without maxLength`);
    if (node.type === "array" && node.maxItems === undefined) problems.push(`${at}: list without maxItems`);
    if (
      node.default !== undefined &&
      !(path.length === 2 && path[0] === "spec" && ["string", "integer", "boolean"].includes(node.type))
    )
      problems.push(`${at}: default outside a top-level spec scalar`);
    if (node.type === "array" && node.items?.type === "object" && node["x-kubernetes-list-type"] === "map") {
      const keys = node["x-kubernetes-list-map-keys"] ?? [];
      if (!keys.length) problems.push(`${at}: list-type map without keys`);
      for (const k of keys)
        if (!node.items.required?.includes(k)) problems.push(`${at}: list-map key ${k} is not required`);
    }
    for (const [name, child] of Object.entries(node.properties ?? {})) visit(child, [...path, name]);
    if (node.items) visit(node.items, [...path, "*"]);
    if (node.additionalProperties) visit(node.additionalProperties, [...path, "*"]);
  };
  visit(root, []);
  return problems;
}
