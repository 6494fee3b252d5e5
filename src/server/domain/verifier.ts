import type { Logger } from "pino";
import type { VerifyCode } from "../../api/index.js";
import { type Action, allows, covers, splitPermission } from "../../core/index.js";
import type { Store } from "./store.js";
import { checkRestrictions } from "./access-checks.js";
import { REPLAYED_SIGNATURE } from "./denial.js";
import type { CreditSpender } from "./credit-spender.js";
import { type CredentialResolver, MISS } from "./credential-resolver.js";
import type { ResolvedToken } from "./principal.js";
import type { RateDecision, RateLimits } from "./rate-limits.js";
import { checkSignature, type RequestToCheck } from "./request-signature.js";
import type { UsageRecorder } from "./usage-recorder.js";

export interface VerifyInput {
  token: string;
  /** `resource:action` the use needs. */
  permission?: string | undefined;
  origin?: string | undefined;
  ip?: string | undefined;
  /** Credits to spend; default 1. */
  cost?: number | undefined;
  request?: RequestToCheck | undefined;
}

export interface VerifyOutcome {
  code: VerifyCode;
  resolved?: ResolvedToken;
  credits?: { remaining: number };
  rate?: RateDecision;
  /** Why a signature was refused (for logs; never secret material). */
  reason?: string;
}

/** Synchronous when nothing needs storage (a cached token without signature or credits). */
export type MaybeAsync<T> = T | Promise<T>;

const NOT_FOUND: VerifyOutcome = Object.freeze({ code: "NOT_FOUND" });

/** A single action is checked directly; `resource:*` needs every action (covers). */
function holds(granted: readonly string[], permission: string): boolean {
  const { resource, action } = splitPermission(permission);
  return action === "*" ? covers(granted, [permission]) : allows(granted, resource, action as Action);
}

/**
 * Every use of a token goes through here: the verify API, forward auth and management calls. Cheap checks
 * first, storage last, and only a VALID result spends credits or records a use. The common
 * case — a cached token without signature or credits — completes synchronously, with no
 * promise allocated. Storage failures propagate: the caller answers 503, never "valid".
 */
export function createVerifier(deps: {
  resolver: CredentialResolver;
  store: Store;
  rateLimits: RateLimits;
  credits: CreditSpender;
  usage: UsageRecorder;
  now: () => number;
  log: Logger;
}) {
  const { resolver, store, rateLimits, credits, usage, now } = deps;

  function afterSignature(
    resolved: ResolvedToken,
    input: Omit<VerifyInput, "token">,
    at: number,
  ): MaybeAsync<VerifyOutcome> {
    if (input.permission !== undefined && !holds(resolved.permissions, input.permission)) {
      return { code: "FORBIDDEN", resolved };
    }
    const { token } = resolved;
    let rate: RateDecision | undefined;
    if (token.rateLimit) {
      rate = rateLimits.consume(token.id, token.rateLimit);
      if (!rate.allowed) {
        if (!token.credits) return { code: "RATE_LIMITED", resolved, rate };
        // Refused before spending: the answer still says what the token has left.
        return store.usage
          .creditsLeft(token.id, new Date(at))
          .then((remaining): VerifyOutcome =>
            remaining === null
              ? { code: "RATE_LIMITED", resolved, rate }
              : { code: "RATE_LIMITED", resolved, rate, credits: { remaining } },
          );
      }
    }
    if (!token.credits) {
      usage.record(token.id, at);
      return rate ? { code: "VALID", resolved, rate } : { code: "VALID", resolved };
    }
    return credits.spend(token.id, input.cost ?? 1, new Date(at)).then((spend): VerifyOutcome => {
      const withRate = rate ? { rate } : {};
      // A token whose credits were removed meanwhile has no limit any more.
      if (!spend) {
        usage.record(token.id, at);
        return { code: "VALID", resolved, ...withRate };
      }
      const left = { remaining: spend.remaining };
      if (!spend.ok) return { code: "USAGE_EXCEEDED", resolved, credits: left, ...withRate };
      usage.record(token.id, at);
      return { code: "VALID", resolved, credits: left, ...withRate };
    });
  }

  function check(
    resolved: ResolvedToken | null,
    input: Omit<VerifyInput, "token">,
  ): MaybeAsync<VerifyOutcome> {
    if (!resolved) return NOT_FOUND;
    const at = now();
    const restricted = checkRestrictions(resolved, input, at);
    if (restricted !== "VALID") return { code: restricted, resolved };
    if (!resolved.token.signedRequests) return afterSignature(resolved, input, at);
    return checkSignature(input.request, resolved.secret.publicKey).then(async (signature) => {
      if (!signature.ok) return { code: "SIGNATURE_REQUIRED", resolved, reason: signature.reason };
      if (!(await store.usage.rememberSignature(signature.digest, signature.expiresAt))) {
        return { code: "SIGNATURE_REQUIRED", resolved, reason: REPLAYED_SIGNATURE };
      }
      return afterSignature(resolved, input, at);
    });
  }

  return {
    /**
     * One use of a token already resolved (a management call: authentication resolves it
     * first to refuse publishable tokens before anything is spent).
     */
    use: (resolved: ResolvedToken, input: Omit<VerifyInput, "token">): MaybeAsync<VerifyOutcome> =>
      check(resolved, input),
    verify(input: VerifyInput): MaybeAsync<VerifyOutcome> {
      const cached = resolver.cached(input.token);
      if (cached !== MISS) return check(cached, input);
      return resolver.resolve(input.token).then((resolved) => check(resolved, input));
    },
  };
}

export type Verifier = ReturnType<typeof createVerifier>;
