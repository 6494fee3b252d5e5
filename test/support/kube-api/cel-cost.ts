import type { ASTNode } from "@marcbachmann/cel-js";

/*
 * A static cost estimate of a CEL rule, modelled on cel-go's checker/cost.go with the size
 * estimates apiextensions-apiserver derives from a CRD schema (maxLength, maxItems,
 * maxProperties; unbounded ones estimated from the 3 MiB request limit). It also finds selections
 * of fields the schema does not declare, which cel-go's type checker refuses at CRD creation.
 * It is an approximation: costs follow cel-go's formulas for the functions rules commonly use and
 * count 1 for the rest.
 */

/** The schema view the estimator needs (a subset of the fixture's Schema). */
export interface CostSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, CostSchema>;
  additionalProperties?: CostSchema | boolean;
  items?: CostSchema;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
}

export const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;
const STRING_TRAVERSAL_FACTOR = 0.1;
const REGEX_LENGTH_FACTOR = 0.25;
const CREATE_LIST_COST = 10;
const CREATE_MAP_COST = 30;
const UNKNOWN = Number.MAX_SAFE_INTEGER;

interface Range {
  min: number;
  max: number;
}

interface Estimate {
  cost: Range;
  /** size() of the value, when it is a string, list or map. */
  size?: Range;
  /** The schema node the value comes from, when it comes from `self` or `oldSelf`. */
  schema?: CostSchema;
  /** The element count and element schema of a literal list. */
  literalItems?: Estimate;
}

export interface CostResult {
  cost: number;
  /** Undeclared fields the rule selects, as cel-go's compile error text. */
  fieldErrors: string[];
}

const fixed = (n: number): Range => ({ min: n, max: n });
const add = (a: Range, b: Range): Range => ({
  min: Math.min(a.min + b.min, UNKNOWN),
  max: Math.min(a.max + b.max, UNKNOWN),
});
const mul = (a: Range, b: Range): Range => ({
  min: Math.min(a.min * b.min, UNKNOWN),
  max: Math.min(a.max * b.max, UNKNOWN),
});
const factor = (a: Range, f: number): Range => ({
  min: Math.ceil(a.min * f),
  max: Math.min(Math.ceil(a.max * f), UNKNOWN),
});
const union = (a: Range, b: Range): Range => ({ min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) });
const sum = (es: Estimate[]): Range => es.reduce((acc, e) => add(acc, e.cost), fixed(0));

/** The smallest JSON a value of this schema serializes to (DeclType.MinSerializedSize). */
function minSize(s: CostSchema | undefined): number {
  switch (s?.type) {
    case "string":
      return (s.minLength ?? 0) + 2;
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return 4;
    default:
      return 2;
  }
}

function mapValues(s: CostSchema): CostSchema | undefined {
  return typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
}

/** How long a string, or how many items or entries, a schema allows at most. */
export function maxElements(s: CostSchema): number {
  if (s.type === "array") {
    return s.maxItems ?? Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / (minSize(s.items) + 1));
  }
  if (s.type === "object") {
    return s.maxProperties ?? Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / (minSize(mapValues(s)) + 4));
  }
  if (s.type === "string" || s["x-kubernetes-int-or-string"]) {
    if (s.maxLength !== undefined) return s.maxLength;
    if (Array.isArray(s.enum) && s.enum.length > 0) {
      return Math.max(...s.enum.map((v) => (typeof v === "string" ? v.length : 0)));
    }
    if (s.format === "date-time") return 64;
    if (s.format === "date") return 12;
    if (s.format === "duration") return 64;
    return MAX_REQUEST_SIZE_BYTES - 2;
  }
  return 0;
}

const sizeOfSchema = (s: CostSchema | undefined): Range | undefined =>
  s && ["string", "array", "object"].includes(s.type ?? "") ? { min: 0, max: maxElements(s) } : undefined;

/** Whether selecting a field the schema does not name is a type error. */
function closedObject(s: CostSchema): boolean {
  return (
    s.type === "object" &&
    mapValues(s) === undefined &&
    s.additionalProperties !== true &&
    !s["x-kubernetes-preserve-unknown-fields"] &&
    !s["x-kubernetes-embedded-resource"]
  );
}

type Args = [string, ASTNode, ASTNode[]];

class Coster {
  readonly fieldErrors: string[] = [];
  private readonly scopes = new Map<string, Estimate[]>();

  constructor(vars: Record<string, CostSchema>) {
    for (const [name, schema] of Object.entries(vars)) {
      this.scopes.set(name, [
        { cost: fixed(1), schema, ...(sizeOfSchema(schema) ? { size: sizeOfSchema(schema) } : {}) },
      ]);
    }
  }

  private bind(name: string, value: Estimate): void {
    this.scopes.set(name, [...(this.scopes.get(name) ?? []), value]);
  }

  private unbind(name: string): void {
    this.scopes.get(name)?.pop();
  }

  private fromSchema(schema: CostSchema | undefined, cost: Range): Estimate {
    const size = sizeOfSchema(schema);
    return { cost, ...(schema ? { schema } : {}), ...(size ? { size } : {}) };
  }

  estimate(node: ASTNode): Estimate {
    const { op, args } = node as { op: string; args: unknown };
    switch (op) {
      case "value":
        return typeof args === "string"
          ? { cost: fixed(0), size: fixed([...args].length) }
          : { cost: fixed(0) };
      case "id": {
        const bound = this.scopes.get(args as string)?.at(-1);
        return bound ? { ...bound, cost: fixed(1) } : { cost: fixed(1) };
      }
      case ".":
      case "?.":
        return this.select(node, args as [ASTNode, string]);
      case "list": {
        const items = (args as ASTNode[]).map((a) => this.estimate(a));
        return { cost: add(sum(items), fixed(CREATE_LIST_COST)), size: fixed(items.length) };
      }
      case "map": {
        const entries = (args as [ASTNode, ASTNode][]).flatMap(([k, v]) => [
          this.estimate(k),
          this.estimate(v),
        ]);
        return { cost: add(sum(entries), fixed(CREATE_MAP_COST)), size: fixed(entries.length / 2) };
      }
      case "&&":
      case "||": {
        const [l, r] = (args as ASTNode[]).map((a) => this.estimate(a)) as [Estimate, Estimate];
        return { cost: { min: l.cost.min, max: add(l.cost, r.cost).max } };
      }
      case "?:": {
        const [c, t, f] = (args as ASTNode[]).map((a) => this.estimate(a)) as [Estimate, Estimate, Estimate];
        const size = t.size && f.size ? union(t.size, f.size) : undefined;
        return { cost: add(c.cost, union(t.cost, f.cost)), ...(size ? { size } : {}) };
      }
      case "==":
      case "!=":
      case "<":
      case "<=":
      case ">":
      case ">=": {
        const [l, r] = (args as ASTNode[]).map((a) => this.estimate(a)) as [Estimate, Estimate];
        const smallest = Math.min(l.size?.max ?? 1, r.size?.max ?? 1);
        const cmp = factor({ min: smallest > 0 ? 1 : 0, max: smallest }, STRING_TRAVERSAL_FACTOR);
        return { cost: add(add(l.cost, r.cost), cmp) };
      }
      case "in": {
        const [l, r] = (args as ASTNode[]).map((a) => this.estimate(a)) as [Estimate, Estimate];
        return { cost: add(add(l.cost, r.cost), r.size ?? fixed(UNKNOWN)) };
      }
      case "+": {
        const [l, r] = (args as ASTNode[]).map((a) => this.estimate(a)) as [Estimate, Estimate];
        const isString =
          l.schema?.type === "string" ||
          r.schema?.type === "string" ||
          (l.size && r.size && !l.schema && !r.schema);
        if (l.size && r.size) {
          const size = add(l.size, r.size);
          const own = isString ? factor(size, STRING_TRAVERSAL_FACTOR) : fixed(1);
          return { cost: add(add(l.cost, r.cost), own), size };
        }
        return { cost: add(add(l.cost, r.cost), fixed(1)) };
      }
      case "[]": {
        const [target, index] = (args as ASTNode[]).map((a) => this.estimate(a)) as [Estimate, Estimate];
        const s = target.schema;
        const child = s?.type === "array" ? s.items : s ? (mapValues(s) ?? undefined) : undefined;
        return this.fromSchema(child, add(add(target.cost, index.cost), fixed(1)));
      }
      case "call":
        return this.call(...this.callArgs(args as [string, ASTNode[]]));
      case "rcall":
        return this.call(...(args as Args));
      default: {
        // Unary and arithmetic operators: one unit plus their operands.
        const operands = Array.isArray(args) ? (args as ASTNode[]) : [args as ASTNode];
        return {
          cost: add(
            sum(operands.filter((a) => typeof a === "object" && a !== null).map((a) => this.estimate(a))),
            fixed(1),
          ),
        };
      }
    }
  }

  private callArgs([name, list]: [string, ASTNode[]]): [string, ASTNode | undefined, ASTNode[]] {
    return [name, undefined, list];
  }

  private select(node: ASTNode, [operand, field]: [ASTNode, string]): Estimate {
    const target = this.estimate(operand);
    const s = target.schema;
    let child: CostSchema | undefined;
    if (s) {
      child = s.properties?.[field] ?? mapValues(s);
      if (!child && closedObject(s)) {
        // cel-js places a selection at its field name; cel-go reports the column of the dot, 1-based.
        const pos = (node as { pos?: number }).pos ?? 0;
        this.fieldErrors.push(`ERROR: <input>:1:${pos}: undefined field '${field}'`);
      }
    }
    return this.fromSchema(child, add(target.cost, fixed(1)));
  }

  private comprehension(name: string, target: Estimate, params: ASTNode[]): Estimate {
    const vars = params.slice(0, -1).map((p) => (p as { args: unknown }).args as string);
    const body = params.at(-1) as ASTNode;
    const s = target.schema;
    const isList = s ? s.type === "array" : target.literalItems !== undefined || target.size !== undefined;
    const count = target.size ?? fixed(UNKNOWN);
    const item: Estimate = s?.type === "array" ? this.fromSchema(s.items, fixed(1)) : { cost: fixed(1) };
    const value: Estimate = s && mapValues(s) ? this.fromSchema(mapValues(s), fixed(1)) : { cost: fixed(1) };
    // Map keys have no declared size: the API server's estimator reads them as size 0.
    const mapKey: Estimate = { cost: fixed(1), size: fixed(0) };
    const bindings: Estimate[] =
      vars.length === 2
        ? [isList ? { cost: fixed(1), size: fixed(1) } : mapKey, isList ? item : value]
        : [isList ? item : mapKey];
    vars.forEach((v, i) => this.bind(v, bindings[i] ?? { cost: fixed(1) }));
    const pred = this.estimate(body);
    vars.forEach((v) => this.unbind(v));
    // Per element: loop condition and step as the macro expands them (cel-go parser/macro.go).
    let perItem: Range;
    let base: Range;
    switch (name) {
      case "all":
      case "exists":
        perItem = add(fixed(3), pred.cost);
        base = fixed(1);
        break;
      case "exists_one":
        perItem = add(fixed(2), pred.cost);
        base = fixed(2);
        break;
      case "map":
        perItem = add(fixed(2 + CREATE_LIST_COST), pred.cost);
        base = fixed(1 + CREATE_LIST_COST);
        break;
      default: // filter
        perItem = add(fixed(3 + CREATE_LIST_COST), pred.cost);
        base = fixed(1 + CREATE_LIST_COST);
    }
    const cost = add(add(target.cost, base), mul(count, perItem));
    return name === "map" || name === "filter" ? { cost, size: count } : { cost };
  }

  private call(name: string, targetNode: ASTNode | undefined, argNodes: ASTNode[]): Estimate {
    if (name === "has" && argNodes.length === 1 && targetNode === undefined) {
      // A presence test costs one plus its operand.
      const inner = this.estimate(argNodes[0] as ASTNode);
      return { cost: add(inner.cost, fixed(1)) };
    }
    if (targetNode && ["all", "exists", "exists_one", "map", "filter"].includes(name)) {
      return this.comprehension(name, this.estimate(targetNode), argNodes);
    }
    const target = targetNode ? this.estimate(targetNode) : undefined;
    const args = argNodes.map((a) => this.estimate(a));
    const base = add(target?.cost ?? fixed(0), sum(args));
    const str = target ?? args[0];
    const strSize = str?.size ?? fixed(UNKNOWN);
    const arg0Size = (target ? args[0] : args[1])?.size ?? fixed(UNKNOWN);
    switch (name) {
      case "startsWith":
      case "endsWith":
        return { cost: add(base, factor(arg0Size, STRING_TRAVERSAL_FACTOR)) };
      case "matches":
      case "find":
      case "findAll": {
        const strCost = factor(add(strSize, fixed(1)), STRING_TRAVERSAL_FACTOR);
        const regexCost = factor(arg0Size, REGEX_LENGTH_FACTOR);
        const out: Estimate = { cost: add(base, mul(strCost, regexCost)) };
        if (name === "find") out.size = strSize;
        if (name === "findAll") out.size = strSize;
        return out;
      }
      case "contains":
        return {
          cost: add(
            base,
            mul(factor(strSize, STRING_TRAVERSAL_FACTOR), factor(arg0Size, STRING_TRAVERSAL_FACTOR)),
          ),
        };
      case "lowerAscii":
      case "upperAscii":
      case "trim":
      case "reverse":
      case "replace":
      case "substring":
      case "split":
      case "indexOf":
      case "lastIndexOf":
      case "join":
      case "string":
        if (str?.size) return { cost: add(base, factor(strSize, STRING_TRAVERSAL_FACTOR)), size: strSize };
        return { cost: add(base, fixed(1)) };
      case "isSorted":
      case "sum":
      case "min":
      case "max":
        return { cost: add(base, target?.size ?? fixed(1)) };
      default:
        return { cost: add(base, fixed(1)) };
    }
  }
}

/**
 * The estimated maximum cost of one evaluation of `ast` with `self` (and `oldSelf`) of `schema`,
 * and the undeclared fields it selects.
 */
export function estimateCost(ast: ASTNode, schema: CostSchema): CostResult {
  const coster = new Coster({ self: schema, oldSelf: schema });
  const { cost } = coster.estimate(ast);
  return { cost: cost.max, fieldErrors: coster.fieldErrors };
}
