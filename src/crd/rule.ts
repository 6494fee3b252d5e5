import * as z from "zod";

/** How the API server classifies a rule's failure (`reason` in `x-kubernetes-validations`). */
export type RuleReason =
  "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";

/**
 * One validation rule, written twice side by side: as CEL for the API server and as a
 * TypeScript check for the parse functions. `self` is the value of the schema node the rule is
 * attached to; `field` is the path (relative to that node) the error is reported at.
 * A rule whose CEL mentions `oldSelf` is a transition rule: it only applies to updates.
 */
export interface CelRule<T = never> {
  readonly cel: string;
  readonly message: string;
  readonly field: readonly string[];
  readonly reason: RuleReason;
  readonly transition: boolean;
  readonly check: (self: T, oldSelf: T) => boolean;
}

export interface RuleInput<T> {
  cel: string;
  message: string;
  field?: readonly string[];
  reason?: RuleReason;
  check: (self: T, oldSelf: T) => boolean;
}

export function rule<T>(input: RuleInput<T>): CelRule<T> {
  return {
    cel: input.cel.replace(/\s+/g, " ").trim(),
    message: input.message,
    field: input.field ?? [],
    reason: input.reason ?? "FieldValueInvalid",
    transition: /\boldSelf\b/.test(input.cel),
    check: input.check,
  };
}

/** The `x-kubernetes-validations` entry for a rule. */
export function validationRule(r: CelRule<never>): {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: RuleReason;
} {
  return {
    rule: r.cel,
    message: r.message,
    ...(r.field.length > 0 ? { fieldPath: "." + r.field.join(".") } : {}),
    ...(r.reason !== "FieldValueInvalid" ? { reason: r.reason } : {}),
  };
}

/** What the CRD converter needs to know about a schema node beyond what zod itself records. */
export interface CrdMeta {
  /** CEL rules attached to this node. */
  rules?: readonly CelRule<never>[];
  /** Extra OpenAPI keywords for this node (format, maxProperties, x-kubernetes-*). */
  openapi?: Readonly<Record<string, unknown>>;
  /** Emit this node as a bare `{type: object}` (the root `metadata`, which the API server owns). */
  opaqueObject?: boolean;
}

/** Metadata lives in its own registry; like zod's global one it is inherited by clones. */
export const crdRegistry = z.registry<CrdMeta>();

export function crdMeta(schema: z.ZodType): CrdMeta {
  return crdRegistry.get(schema) ?? {};
}

/** Adds OpenAPI keywords to a schema node, keeping what it had. */
export function openapi<S extends z.ZodType>(schema: S, keywords: Record<string, unknown>): S {
  const meta = crdMeta(schema);
  const copy = schema.clone();
  crdRegistry.add(copy, { ...meta, openapi: { ...meta.openapi, ...keywords } });
  return copy;
}

/** Marks a node to be emitted as a bare `{type: object}`. */
export function opaqueObject<S extends z.ZodType>(schema: S): S {
  const copy = schema.clone();
  crdRegistry.add(copy, { ...crdMeta(schema), opaqueObject: true });
  return copy;
}

/**
 * Attaches rules to a schema node: zod refinements for the parse functions (update rules are
 * left to `transitionErrors`) and registry entries for the CRD's `x-kubernetes-validations`.
 */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly CelRule<z.output<S>>[]): S {
  const meta = crdMeta(schema);
  const refined = schema.superRefine((value, ctx) => {
    for (const r of rules) {
      if (r.transition || r.check(value, value)) continue;
      ctx.addIssue({ code: "custom", message: r.message, path: [...r.field], input: value });
    }
  });
  crdRegistry.add(refined, {
    ...meta,
    rules: [...(meta.rules ?? []), ...(rules as readonly CelRule<never>[])],
  });
  return refined;
}
