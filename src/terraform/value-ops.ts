import type { CtyType } from "./cty-type.js";
import { asObject, isDynamic, isUnknown, UNKNOWN, type Value, type ValueObject } from "./cty-value.js";
import { attributeType, type AttributeSpec, type BlockSpec } from "./schema.js";

/** A canonical text of a value, with set elements and keys sorted, for comparing. */
function canonical(type: CtyType, v: Value): string {
  if (isUnknown(v)) return "?";
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (isDynamic(v)) return `${JSON.stringify(v.dynamicType)}:${canonical(v.dynamicType, v.value)}`;
  if (typeof type === "string") return JSON.stringify(v);
  const [kind, inner] = type;
  if (Array.isArray(v)) {
    const items = (v as readonly Value[]).map((e, i) =>
      canonical(kind === "tuple" ? (inner[i] ?? "dynamic") : (inner as CtyType), e),
    );
    if (kind === "set") items.sort();
    return `[${items.join(",")}]`;
  }
  const obj = v as ValueObject;
  const keys = Object.keys(kind === "object" ? inner : obj).sort();
  const typeOf = (k: string): CtyType =>
    kind === "object" ? ((inner as Record<string, CtyType>)[k] ?? "dynamic") : (inner as CtyType);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(typeOf(k), obj[k] ?? null)}`).join(",")}}`;
}

/** Equal as Terraform compares them: sets ignore order. */
export function sameValue(type: CtyType, a: Value, b: Value): boolean {
  return canonical(type, a) === canonical(type, b);
}

export const str = (v: Value | undefined): string | null => (typeof v === "string" ? v : null);
export const num = (v: Value | undefined): number | null => (typeof v === "number" ? v : null);
export const bool = (v: Value | undefined): boolean | null => (typeof v === "boolean" ? v : null);
export const strings = (v: Value | undefined): string[] | null =>
  Array.isArray(v) ? (v as readonly Value[]).filter((e): e is string => typeof e === "string") : null;
export const obj = asObject;
export const stringMap = (v: Value | undefined): Record<string, string> | null => {
  const o = obj(v);
  if (!o) return null;
  return Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === "string"));
};

/**
 * The plan every resource starts from: configured values as given; optional+computed
 * attributes left out take their default, or keep the prior value (unknown on create);
 * computed-only attributes keep the prior value (unknown on create); write-only ones are null.
 */
export function basePlan(
  schema: BlockSpec,
  prior: ValueObject | null,
  config: ValueObject,
): Record<string, Value> {
  const planned: Record<string, Value> = {};
  for (const [name, spec] of Object.entries(schema.attributes)) {
    const configured = config[name] ?? null;
    const before = prior ? (prior[name] ?? null) : UNKNOWN;
    if (spec.writeOnly) planned[name] = null;
    else if (!spec.computed) planned[name] = configured;
    else if (!spec.optional && !spec.required) planned[name] = before;
    else if (configured !== null) planned[name] = configured;
    else planned[name] = spec.default !== undefined ? spec.default : before;
  }
  return planned;
}

/** Configurable attributes whose planned value differs from the prior state. */
export function changedAttributes(schema: BlockSpec, prior: ValueObject, planned: ValueObject): string[] {
  return Object.entries(schema.attributes)
    .filter(([, spec]) => (spec.optional || spec.required) && !spec.writeOnly)
    .filter(([name, spec]) => !sameValue(attributeType(spec), prior[name] ?? null, planned[name] ?? null))
    .map(([name]) => name);
}

/** The changed attributes that cannot change in place, as attribute paths. */
export function replacePaths(schema: BlockSpec, changed: readonly string[]): string[][] {
  return changed.filter((n) => schema.attributes[n]?.requiresReplace).map((n) => [n]);
}

export type { AttributeSpec };
