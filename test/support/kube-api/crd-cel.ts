import type { ASTNode } from "@marcbachmann/cel-js";
import { parseRule } from "./cel-rules.js";
import { estimateCost, maxElements, type CostSchema } from "./cel-cost.js";
import { forbidden, invalid, type FieldError } from "./field-errors.js";
import { isObject } from "./json.js";
import type { Schema, ValidationRule } from "./schema.js";

/*
 * What apiextensions-apiserver checks of x-kubernetes-validations when a CRD is written (for
 * structural schemas only): each rule and messageExpression compiles (here: parses, and selects
 * only declared fields), fits the cost budget once multiplied by how many times it can run per
 * object, uses oldSelf only where old and new values correlate, and all rules together fit the
 * schema's budget.
 */

/** celconfig.StaticEstimatedCostLimit and StaticEstimatedCRDCostLimit. */
export const RULE_COST_LIMIT = 10_000_000;
export const CRD_COST_LIMIT = 100_000_000;

/** getCostErrorMessage in validation.go, with Go's %f and %.1f. */
export function costErrorMessage(name: string, cost: number, limit: number): string {
  const exceed = cost / limit;
  const by =
    exceed > 100 ? "more than 100x" : exceed < 1.5 ? `${exceed.toFixed(6)}x` : `${exceed.toFixed(1)}x`;
  return `${name} exceeds budget by factor of ${by} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}

/** `self` at the root: apiVersion, kind and the name fields of metadata, as the real server types it. */
function rootSelf(schema: Schema): CostSchema {
  return {
    ...(schema as CostSchema),
    properties: {
      ...(schema.properties as Record<string, CostSchema> | undefined),
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: {
        type: "object",
        properties: { name: { type: "string" }, generateName: { type: "string" } },
      },
    },
  };
}

interface Observed {
  path: string;
  cost: number;
}

function usesOldSelf(node: unknown): boolean {
  if (!isObject(node) && !Array.isArray(node)) return false;
  if (Array.isArray(node)) return node.some(usesOldSelf);
  const n = node as { op?: string; args?: unknown };
  if (n.op === "id") return n.args === "oldSelf";
  return usesOldSelf(n.args);
}

const firstLine = (err: unknown): string =>
  err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);

/** Errors for every rule in a structural schema at `path` (its openAPIV3Schema). */
export function celErrors(schema: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const observed: Observed[] = [];

  const checkRules = (
    s: Schema,
    p: string,
    cardinality: number,
    uncorrelatable: string | undefined,
    root: boolean,
  ) => {
    const self = root ? rootSelf(s) : (s as CostSchema);
    const rules: unknown = s["x-kubernetes-validations"];
    if (!Array.isArray(rules)) return;
    rules.forEach((entry: unknown, i) => {
      const rulePath = `${p}.x-kubernetes-validations[${i}]`;
      if (!isObject(entry)) return;
      const rule = entry as unknown as ValidationRule;
      if (typeof rule.rule !== "string" || rule.rule.trim() === "") return;
      let ast: ASTNode;
      try {
        ast = parseRule(rule.rule);
      } catch (err) {
        errs.push(invalid(`${rulePath}.rule`, rule.rule, `compilation failed: ${firstLine(err)}`));
        return;
      }
      const { cost, fieldErrors } = estimateCost(ast, self);
      const total = Math.min(cost * cardinality, Number.MAX_SAFE_INTEGER);
      if (total > RULE_COST_LIMIT) {
        errs.push(
          forbidden(`${rulePath}.rule`, costErrorMessage("estimated rule cost", total, RULE_COST_LIMIT)),
        );
      }
      observed.push({ path: `${rulePath}.rule`, cost: total });
      for (const e of fieldErrors)
        errs.push(invalid(`${rulePath}.rule`, rule.rule, `compilation failed: ${e}`));
      if (typeof rule.messageExpression === "string" && rule.messageExpression.trim() !== "") {
        try {
          const m = estimateCost(parseRule(rule.messageExpression), self);
          const mTotal = Math.min(m.cost * cardinality, Number.MAX_SAFE_INTEGER);
          if (mTotal > RULE_COST_LIMIT) {
            errs.push(
              forbidden(
                `${rulePath}.messageExpression`,
                costErrorMessage("estimated messageExpression cost", mTotal, RULE_COST_LIMIT),
              ),
            );
          }
          observed.push({ path: `${rulePath}.messageExpression`, cost: mTotal });
          for (const e of m.fieldErrors) {
            errs.push(
              invalid(`${rulePath}.messageExpression`, rule.messageExpression, `compilation failed: ${e}`),
            );
          }
        } catch (err) {
          errs.push(
            invalid(
              `${rulePath}.messageExpression`,
              rule.messageExpression,
              `messageExpression compilation failed: ${firstLine(err)}`,
            ),
          );
        }
      }
      if (usesOldSelf(ast)) {
        if (uncorrelatable !== undefined) {
          errs.push(
            invalid(
              `${rulePath}.rule`,
              rule.rule,
              `oldSelf cannot be used on the uncorrelatable portion of the schema within ${uncorrelatable}`,
            ),
          );
        }
      } else if (rule.optionalOldSelf !== undefined && rule.optionalOldSelf !== null) {
        errs.push(
          invalid(
            `${rulePath}.optionalOldSelf`,
            rule.optionalOldSelf,
            "may not be set if oldSelf is not used in rule",
          ),
        );
      }
    });
  };

  const walk = (
    s: Schema,
    p: string,
    cardinality: number,
    uncorrelatable: string | undefined,
    root: boolean,
  ) => {
    checkRules(s, p, cardinality, uncorrelatable, root);
    // Properties of an atomic map, and items of any list but a list-map, do not correlate.
    const propsUncorrelatable = uncorrelatable ?? (s["x-kubernetes-map-type"] === "atomic" ? p : undefined);
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      if (isObject(prop)) walk(prop, `${p}.properties[${name}]`, cardinality, propsUncorrelatable, false);
    }
    const extra = isObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined;
    if (extra) {
      const n = Math.min(cardinality * maxElements(s), Number.MAX_SAFE_INTEGER);
      walk(extra, `${p}.additionalProperties`, n, propsUncorrelatable, false);
    }
    if (isObject(s.items)) {
      const n = Math.min(cardinality * maxElements(s), Number.MAX_SAFE_INTEGER);
      const itemsUncorrelatable = uncorrelatable ?? (s["x-kubernetes-list-type"] === "map" ? undefined : p);
      walk(s.items, `${p}.items`, n, itemsUncorrelatable, false);
    }
  };
  walk(schema, path, 1, undefined, true);

  const total = observed.reduce((acc, o) => Math.min(acc + o.cost, Number.MAX_SAFE_INTEGER), 0);
  if (total > CRD_COST_LIMIT) {
    const mostExpensive = [...observed].sort((a, b) => b.cost - a.cost).slice(0, 4);
    for (const o of mostExpensive) {
      errs.push(
        forbidden(
          o.path,
          "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema",
        ),
      );
    }
    errs.push(
      forbidden(
        path,
        costErrorMessage(
          "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema",
          total,
          CRD_COST_LIMIT,
        ),
      ),
    );
  }
  return errs;
}
