import type { Request } from "express";
import type { IncomingHttpHeaders } from "node:http";
import { checkRestrictions } from "../domain/access-checks.js";
import { type Caller, callerOf } from "../domain/caller.js";
import type { CredentialResolver } from "../domain/credential-resolver.js";
import { type DomainError, forbidden, tooManyRequests, unauthorized } from "../domain/errors.js";
import type { ResolvedToken } from "../domain/principal.js";
import type { Verifier, VerifyOutcome } from "../domain/verifier.js";
import type { Store } from "../domain/store.js";
import { credentialFrom, originFrom } from "./credentials.js";
import { rawBodyOf } from "./raw-body.js";

export type Authenticate = (req: Request) => Promise<Caller>;

/** Why a management call is refused, by the verification code its token got. */
function refusal(
  outcome: Pick<VerifyOutcome, "code" | "reason" | "rate" | "resolved">,
): DomainError | undefined {
  switch (outcome.code) {
    case "VALID":
      return undefined;
    case "FORBIDDEN":
      // Not asked for here (routes check their own permission); refused all the same.
      return forbidden("the token lacks the permission");
    case "NOT_FOUND":
      return unauthorized("the token is not valid");
    case "EXPIRED":
      return unauthorized("the token has expired");
    case "IP_NOT_ALLOWED":
      return forbidden("the token may not be used from this IP address");
    case "ORIGIN_NOT_ALLOWED":
      return forbidden("the token may not be used from this origin");
    case "SIGNATURE_REQUIRED":
      return unauthorized(
        `the token requires signed requests: ${outcome.reason ?? "the signature is missing"}`,
      );
    case "RATE_LIMITED":
      return tooManyRequests("the token's rate limit is exhausted", rateHeaders(outcome, true));
    case "USAGE_EXCEEDED":
      // Credits that never refill will not come back by waiting.
      return outcome.resolved?.token.credits?.refill
        ? tooManyRequests("the token's credits are used up", {})
        : forbidden("the token's credits are used up");
  }
}

function rateHeaders(outcome: Pick<VerifyOutcome, "rate">, refused: boolean): Record<string, string> {
  const rate = outcome.rate;
  if (!rate) return {};
  const reset = String(Math.max(1, Math.ceil(rate.resetMs / 1000)));
  return {
    "ratelimit-limit": String(rate.limit),
    "ratelimit-remaining": String(rate.remaining),
    "ratelimit-reset": reset,
    ...(refused ? { "retry-after": reset } : {}),
  };
}

/** Publishable tokens are meant to be seen: they never manage anything, not even read. */
async function resolveManager(resolver: CredentialResolver, req: Request): Promise<ResolvedToken> {
  const credential = credentialFrom(req.headers);
  if (!credential) throw unauthorized("send a token in Authorization: Bearer, Private-Token or X-API-Key");
  const resolved = await resolver.resolve(credential);
  if (!resolved) throw unauthorized("the token is not valid");
  if (resolved.token.kind === "publishable") {
    throw forbidden("publishable tokens cannot use the management API; use a secret token");
  }
  return resolved;
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

/**
 * A management call is one use of its token, checked like every other: live, unexpired, from
 * an allowed IP and origin, signed when the token requires signatures (over the request as
 * received, body included; each signature once), within its rate limit, and paid for with
 * one credit when it has credits. Publishable tokens are refused outright.
 */
export function authenticator(resolver: CredentialResolver, verifier: Verifier, store: Store): Authenticate {
  return async (req) => {
    const resolved = await resolveManager(resolver, req);
    const request = resolved.token.signedRequests
      ? { method: req.method, url: req.originalUrl, headers: flatHeaders(req.headers), body: rawBodyOf(req) }
      : undefined;
    const outcome = await verifier.use(resolved, { ip: req.ip, origin: originFrom(req.headers), request });
    const refused = refusal(outcome);
    if (refused) throw refused;
    const user = await store.users.get(resolved.token.userId);
    if (!user) throw unauthorized("the token is not valid");
    if (outcome.rate) req.res?.set(rateHeaders(outcome, false));
    return callerOf(user, resolved, outcome.credits?.remaining);
  };
}

/**
 * The caller of a long-lived request (a stream), checked again: the same credential still
 * resolves (not revoked, not superseded), is unexpired and allowed from where the request came,
 * and its user still exists. Spends nothing and needs no new signature: the request it
 * continues was checked in full when it began.
 */
export function revalidator(resolver: CredentialResolver, store: Store, now: () => number): Authenticate {
  return async (req) => {
    const resolved = await resolveManager(resolver, req);
    const refused = refusal({
      code: checkRestrictions(resolved, { ip: req.ip, origin: originFrom(req.headers) }, now()),
    });
    if (refused) throw refused;
    const user = await store.users.get(resolved.token.userId);
    if (!user) throw unauthorized("the token is not valid");
    return callerOf(user, resolved);
  };
}
