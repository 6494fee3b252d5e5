import type { Logger } from "pino";
import type { SignedRequest, VerifyCode } from "../../api/index.js";
import { covers } from "../../core/index.js";
import type { Store } from "../store/store.js";
import { checkRestrictions } from "./access-checks.js";
import type { CredentialResolver } from "./credential-resolver.js";
import type { ResolvedToken } from "./principal.js";
import type { RateDecision, RateLimits } from "./rate-limits.js";
import { checkSignature } from "./request-signature.js";
import type { UsageRecorder } from "./usage-recorder.js";

export interface VerifyInput {
  token: string;
  /** `resource:action` the use needs. */
  permission?: string | undefined;
  origin?: string | undefined;
  ip?: string | undefined;
  /** Credits to spend; default 1. */
  cost?: number | undefined;
  request?: SignedRequest | undefined;
}

export interface VerifyOutcome {
  code: VerifyCode;
  resolved?: ResolvedToken;
  credits?: { remaining: number };
  rate?: RateDecision;
  /** Why a signature was refused (for logs, never for the caller's secret material). */
  reason?: string;
}

/**
 * Every use of a token goes through here: the verify API and forward auth. Cheap checks
 * first, storage writes last, and only a VALID result spends credits or records a use.
 * Storage failures propagate: the caller answers 503, never "valid".
 */
export function createVerifier(deps: {
  resolver: CredentialResolver;
  store: Store;
  rateLimits: RateLimits;
  usage: UsageRecorder;
  now: () => number;
  log: Logger;
}) {
  const { resolver, store, rateLimits, usage, now } = deps;

  return {
    async verify(input: VerifyInput): Promise<VerifyOutcome> {
      const resolved = await resolver.resolve(input.token);
      if (!resolved) return { code: "NOT_FOUND" };
      const at = now();
      const restricted = checkRestrictions(resolved, input, at);
      if (restricted !== "VALID") return { code: restricted, resolved };

      const { token } = resolved;
      if (token.signedRequests) {
        const check = await checkSignature(input.request, resolved.secret.publicKey);
        if (!check.ok) return { code: "SIGNATURE_REQUIRED", resolved, reason: check.reason };
        if (!(await store.usage.rememberSignature(check.digest, check.expiresAt))) {
          return { code: "SIGNATURE_REQUIRED", resolved, reason: "the signature was already used (replay)" };
        }
      }

      if (input.permission !== undefined && !covers(resolved.permissions, [input.permission])) {
        return { code: "FORBIDDEN", resolved };
      }

      let rate: RateDecision | undefined;
      if (token.rateLimit) {
        rate = await rateLimits.consume(token.id, token.rateLimit);
        if (!rate.allowed) return { code: "RATE_LIMITED", resolved, rate };
      }

      let credits: { remaining: number } | undefined;
      if (token.credits) {
        const cost = input.cost ?? 1;
        const spend = await store.usage.spendCredits(token.id, cost, new Date(at));
        // A token whose credits were removed meanwhile has no limit any more.
        if (spend) {
          credits = { remaining: spend.remaining };
          if (!spend.ok) return { code: "USAGE_EXCEEDED", resolved, credits, ...(rate ? { rate } : {}) };
        }
      }

      usage.record(token.id, at);
      return { code: "VALID", resolved, ...(credits ? { credits } : {}), ...(rate ? { rate } : {}) };
    },
  };
}

export type Verifier = ReturnType<typeof createVerifier>;
