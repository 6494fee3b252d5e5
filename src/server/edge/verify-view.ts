import type { VerifyResult } from "../../api/index.js";
import { denialOf } from "../domain/denial.js";
import type { ResolvedToken } from "../domain/principal.js";
import type { VerifyOutcome } from "../domain/verifier.js";

/** The verify API's answer. NOT_FOUND reveals nothing; other codes describe the token presented. */
export function verifyResult(outcome: VerifyOutcome, now: number, permission?: string): VerifyResult {
  return JSON.parse(verifyAnswer(outcome, now, permission)) as VerifyResult;
}

const NOT_FOUND = JSON.stringify({ valid: false, code: "NOT_FOUND" });

/** The identity part of every answer about a token, serialised once per cached token. */
const identities = new WeakMap<ResolvedToken, string>();
function identity(resolved: ResolvedToken): string {
  let json = identities.get(resolved);
  if (json === undefined) {
    const t = resolved.token;
    json = JSON.stringify({
      tokenId: t.id,
      userId: t.userId,
      name: t.name,
      permissions: resolved.permissions,
      metadata: t.metadata,
      expiresAt: t.expiresAt ? t.expiresAt.toISOString() : null,
    }).slice(1, -1);
    identities.set(resolved, json);
  }
  return json;
}

let lastReset = { at: NaN, iso: "" };
/** Rate-limit resets repeat (one window end per token); skip re-rendering the same instant. */
function isoAt(ms: number): string {
  if (lastReset.at !== ms) lastReset = { at: ms, iso: new Date(ms).toISOString() };
  return lastReset.iso;
}

/**
 * The verify API's answer as JSON text, built from pre-serialised parts: this is the hot
 * path, and re-serialising permissions and metadata on every request is measurable.
 */
export function verifyAnswer(outcome: VerifyOutcome, now: number, permission?: string): string {
  const { resolved, code } = outcome;
  if (!resolved) return code === "NOT_FOUND" ? NOT_FOUND : JSON.stringify({ valid: false, code });
  let json = `{"valid":${code === "VALID"},"code":"${code}",${identity(resolved)}`;
  if (outcome.credits) json += `,"credits":{"remaining":${outcome.credits.remaining}}`;
  const rate = outcome.rate;
  if (rate) {
    json += `,"rateLimit":{"limit":${rate.limit},"remaining":${rate.remaining},"reset":"${isoAt(now + rate.resetMs)}"}`;
  }
  const denial = code === "VALID" ? undefined : denialOf(outcome, permission);
  if (denial) json += `,"denial":${JSON.stringify(denial)}`;
  return `${json}}`;
}
