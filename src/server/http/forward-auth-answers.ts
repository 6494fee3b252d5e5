import type { VerifyCode, VerifyDenial } from "../../api/index.js";
import type { ResolvedToken } from "../domain/principal.js";
import type { VerifyOutcome } from "../domain/verifier.js";
import type { Observed, Reply } from "./endpoint.js";
import { problem } from "./problem.js";

export const REALM = 'Bearer realm="tokenplane"';

export const STATUS_FOR: Record<VerifyCode, number> = {
  VALID: 200,
  NOT_FOUND: 401,
  EXPIRED: 401,
  SIGNATURE_REQUIRED: 401,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  IP_NOT_ALLOWED: 403,
  RATE_LIMITED: 429,
  USAGE_EXCEEDED: 429,
};

export const DETAIL_FOR: Record<VerifyCode, string> = {
  VALID: "",
  NOT_FOUND: "the token is not valid",
  EXPIRED: "the token has expired",
  SIGNATURE_REQUIRED: "the token requires a valid request signature",
  FORBIDDEN: "the token lacks the permission",
  ORIGIN_NOT_ALLOWED: "the token may not be used from this origin",
  IP_NOT_ALLOWED: "the token may not be used from this IP address",
  RATE_LIMITED: "the token's rate limit is exhausted",
  USAGE_EXCEEDED: "the token's credits are used up",
};

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  429: "Too Many Requests",
};

/** Allowing answers without a token (a CORS preflight, anonymous access): no body, headers ready. */
export const ALLOWED_HEAD: readonly (string | number)[] = ["content-length", 0];
export const ANONYMOUS_HEAD: readonly (string | number)[] = [
  "content-length",
  0,
  "x-token-anonymous",
  "true",
];

/** An allowing answer's headers (X-Token-Id and X-Token-User), built once per cached token. */
const identities = new WeakMap<ResolvedToken, readonly (string | number)[]>();
function identityHeaders(resolved: ResolvedToken): readonly (string | number)[] {
  let headers = identities.get(resolved);
  if (!headers)
    identities.set(
      resolved,
      (headers = [
        "content-length",
        0,
        "x-token-id",
        resolved.token.id,
        "x-token-user",
        resolved.token.userId,
      ]),
    );
  return headers;
}

/** A token's allowing answer: its identity and, when it has a rate limit, RateLimit-*. */
export function allowed(resolved: ResolvedToken, outcome: VerifyOutcome, observed: Observed): Reply {
  const identity = identityHeaders(resolved);
  const rate = outcome.rate;
  if (!rate) return { status: 200, head: identity, observed };
  const head = identity.slice();
  head.push(
    "ratelimit-limit",
    rate.limit,
    "ratelimit-remaining",
    rate.remaining,
    "ratelimit-reset",
    resetOf(rate),
  );
  return { status: 200, head, observed };
}

const resetOf = (rate: { resetMs: number }): number => Math.max(1, Math.ceil(rate.resetMs / 1000));

/** RateLimit-* (IETF draft) and, when refused, Retry-After. */
export function rateHeaders(outcome: VerifyOutcome, refused: boolean): Record<string, string> {
  const rate = outcome.rate;
  if (!rate) return {};
  const reset = String(resetOf(rate));
  return {
    "ratelimit-limit": String(rate.limit),
    "ratelimit-remaining": String(rate.remaining),
    "ratelimit-reset": reset,
    ...(refused ? { "retry-after": reset } : {}),
  };
}

/** Seconds until credits come back (the next UTC day, Monday or first of the month), when they will. */
export function refillSeconds(outcome: VerifyOutcome, now: number): number | undefined {
  const refill = outcome.resolved?.token.credits?.refill;
  if (!refill) return undefined;
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  const next =
    refill.interval === "daily"
      ? Date.UTC(y, m, day + 1)
      : refill.interval === "weekly"
        ? Date.UTC(y, m, day + ((8 - d.getUTCDay()) % 7 || 7))
        : Date.UTC(y, m + 1, 1);
  return Math.max(1, Math.ceil((next - now) / 1000));
}

/** A refusal as problem details; a token's refusal says why for machines too (its code and denial, as verify does). */
export function refusal(
  status: number,
  detail: string,
  headers: Record<string, string> = {},
  why: { code?: VerifyCode; errors?: { field: string; message: string }[]; denial?: VerifyDenial },
  method: string,
): Reply {
  const fields = {
    ...(why.errors ? { errors: why.errors } : {}),
    ...(why.code ? { code: why.code } : {}),
    ...(why.denial ? { denial: why.denial } : {}),
  };
  return {
    problem: problem(status, TITLES[status] ?? "Error", detail, fields),
    headers,
    observed: why.code ? { method, code: why.code } : { method },
  };
}
