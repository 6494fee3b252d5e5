import type { VerifyDenial } from "../../api/index.js";
import type { VerifyOutcome } from "./verifier.js";

/** Signature refusals that mean "nothing was signed", as opposed to a signature that fails. */
const UNSIGNED = new Set(["the request is not signed", "Signature and Signature-Input are required"]);
const REPLAY = "the signature was already used (replay)";

/**
 * Why a use of a token was refused, for machines: which permission was missing, which limit
 * was reached, whether a signature was missing, bad or replayed. Undefined for VALID and
 * NOT_FOUND (an unknown token is told nothing more than its code).
 */
export function denialOf(outcome: VerifyOutcome, permission: string | undefined): VerifyDenial | undefined {
  switch (outcome.code) {
    case "VALID":
    case "NOT_FOUND":
      return undefined;
    case "EXPIRED":
      return { reason: "expired" };
    case "FORBIDDEN":
      return permission === undefined
        ? { reason: "permission_missing" }
        : { reason: "permission_missing", permission };
    case "ORIGIN_NOT_ALLOWED":
      return { reason: "origin_not_allowed" };
    case "IP_NOT_ALLOWED":
      return { reason: "ip_not_allowed" };
    case "USAGE_EXCEEDED":
      return { reason: "limit_reached", limit: "credits" };
    case "RATE_LIMITED":
      return { reason: "limit_reached", limit: "rateLimit" };
    case "SIGNATURE_REQUIRED": {
      const why = outcome.reason ?? "";
      if (why === REPLAY) return { reason: "signature_replayed" };
      if (UNSIGNED.has(why)) return { reason: "signature_missing", detail: why };
      return { reason: "signature_invalid", detail: why };
    }
  }
}

/** The verifier's own wording of a replayed signature, shared so the two cannot drift. */
export const REPLAYED_SIGNATURE = REPLAY;
