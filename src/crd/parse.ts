import type * as z from "zod";
import type { AccessToken, AccessTokenSpec } from "./access-token.js";
import { accessTokenSchema, accessTokenSpecSchema } from "./access-token.js";
import type { PlacedRule } from "./structural.js";
import { toStructuralSchema } from "./structural.js";
import { type TokenResource, tokenResourceSchema } from "./token-resource.js";
import type { ClusterTokenServer, TokenServer } from "./token-server.js";
import { clusterTokenServerSchema, tokenServerSchema } from "./token-server.js";

/** A rejected field: `path` as `spec.permissions[1]`, `message` as `must be resource:action`. */
export interface FieldError {
  path: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function formatFieldError(error: FieldError): string {
  return `${error.path}: ${error.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(root)";
}

/** Messages that read well after a field path; the schemas' own messages take precedence. */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? "required" : `must be of type ${issue.expected}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => String(v)).join(", ")}`;
    case "too_big":
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      if (issue.origin === "array") return `must have at most ${issue.maximum} items`;
      return `must be at most ${issue.maximum}`;
    case "too_small":
      if (issue.origin === "string") return `must be at least ${issue.minimum} characters`;
      if (issue.origin === "array") return `must have at least ${issue.minimum} items`;
      return `must be at least ${issue.minimum}`;
    default:
      return undefined;
  }
};

/**
 * The API server drops object fields set to null before validating (they count as absent),
 * so parsing does too.
 */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
  return out;
}

function parseWith<S extends z.ZodType>(schema: S, input: unknown): ParseResult<z.output<S>> {
  const result = schema.safeParse(dropNulls(input), { error: errorMap });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  };
}

/** Values at `path` (property names, `*` for every list item or map value). */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [value];
  if (value === null || typeof value !== "object") return [];
  const [head, ...rest] = path as [string, ...string[]];
  if (head === "*") return Object.values(value).flatMap((v) => valuesAt(v, rest));
  const next = (value as Record<string, unknown>)[head];
  return next === undefined ? [] : valuesAt(next, rest);
}

let transitionRules: PlacedRule[] | undefined;

/** The update rules (CEL with `oldSelf`) that `new` breaks relative to `old`. */
function transitionErrors(next: AccessToken, old: AccessToken): FieldError[] {
  transitionRules ??= toStructuralSchema(accessTokenSchema).rules.filter((p) => p.rule.transition);
  const errors: FieldError[] = [];
  for (const { path, rule } of transitionRules) {
    // Rules inside lists would need the API server's item correlation; there are none.
    if (path.includes("*")) throw new Error("transition rules inside lists are not supported");
    const [self] = valuesAt(next, path);
    const [oldSelf] = valuesAt(old, path);
    if (self === undefined || oldSelf === undefined) continue;
    if (!(rule.check as (s: unknown, o: unknown) => boolean)(self, oldSelf)) {
      errors.push({ path: formatPath([...path, ...rule.field]), message: rule.message });
    }
  }
  return errors;
}

/**
 * An unknown value as an AccessToken, defaults applied, or every reason it is not one. With
 * `old` (the stored object), the update rules apply too, as the API server applies them; an
 * `old` that does not parse itself is ignored (what is stored passed validation once).
 */
export function parseAccessToken(input: unknown, options: { old?: unknown } = {}): ParseResult<AccessToken> {
  const result = parseWith(accessTokenSchema, input);
  if (!result.ok || options.old === undefined) return result;
  const old = parseWith(accessTokenSchema, options.old);
  if (!old.ok) return result;
  const errors = transitionErrors(result.value, old.value);
  return errors.length ? { ok: false, errors } : result;
}

/** An AccessToken's spec alone (paths are relative to the spec). */
export function parseAccessTokenSpec(input: unknown): ParseResult<AccessTokenSpec> {
  return parseWith(accessTokenSpecSchema, input);
}

export function parseTokenServer(input: unknown): ParseResult<TokenServer> {
  return parseWith(tokenServerSchema, input);
}

export function parseClusterTokenServer(input: unknown): ParseResult<ClusterTokenServer> {
  return parseWith(clusterTokenServerSchema, input);
}

export function parseTokenResource(input: unknown): ParseResult<TokenResource> {
  return parseWith(tokenResourceSchema, input);
}
