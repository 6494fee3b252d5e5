import type { VerifyResult } from "../../api/index.js";
import type { VerifyOutcome } from "../domain/verifier.js";

/** The verify API's answer. NOT_FOUND reveals nothing; other codes describe the token presented. */
export function verifyResult(outcome: VerifyOutcome, now: number): VerifyResult {
  const { resolved, code } = outcome;
  if (!resolved) return { valid: false, code };
  const t = resolved.token;
  return {
    valid: code === "VALID",
    code,
    tokenId: t.id,
    userId: t.userId,
    name: t.name,
    permissions: resolved.permissions,
    metadata: t.metadata as VerifyResult["metadata"],
    expiresAt: t.expiresAt ? t.expiresAt.toISOString() : null,
    ...(outcome.credits ? { credits: outcome.credits } : {}),
    ...(outcome.rate
      ? {
          rateLimit: {
            limit: outcome.rate.limit,
            remaining: outcome.rate.remaining,
            reset: new Date(now + outcome.rate.resetMs).toISOString(),
          },
        }
      : {}),
  };
}
