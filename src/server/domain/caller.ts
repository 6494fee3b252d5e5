import { allows, type Action } from "../../core/index.js";
import type { Actor } from "./audit-entry.js";
import { forbidden } from "./errors.js";
import type { Credits, RateLimit, UserRecord } from "./model.js";
import type { ResolvedToken } from "./principal.js";

/**
 * The limits the calling token is under. Whatever it creates, changes or obtains must stay
 * within them (see grant-bounds.ts): a token cannot lift its own limits, nor escape them
 * through another token.
 */
export interface CallerLimits {
  /** The earliest of the token's expiry and, for a superseded secret, its grace period's end. */
  expiresAt: Date | null;
  allowedIps: readonly string[];
  allowedDomains: readonly string[];
  signedRequests: boolean;
  /** What is left after this call was paid for. */
  credits: Pick<Credits, "remaining" | "refill"> | null;
  rateLimit: RateLimit | null;
}

export const NO_LIMITS: CallerLimits = Object.freeze({
  expiresAt: null,
  allowedIps: [],
  allowedDomains: [],
  signedRequests: false,
  credits: null,
  rateLimit: null,
});

/** An authenticated management caller: the user and what the presented token may do. */
export interface Caller {
  user: UserRecord;
  /** The presented token; null for the in-process system caller (the embedded operator). */
  tokenId: string | null;
  permissions: readonly string[];
  limits: CallerLimits;
  actor: Actor;
}

/** `creditsLeft`: the token's credits after this call spent its own (when it has credits). */
export function callerOf(user: UserRecord, token: ResolvedToken, creditsLeft?: number): Caller {
  const { token: t, secret } = token;
  const ends = [t.expiresAt, secret.expiresAt].filter((d): d is Date => d !== null);
  return {
    user,
    tokenId: token.tokenId,
    permissions: token.permissions,
    limits: {
      expiresAt: ends.length > 0 ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null,
      allowedIps: t.allowedIps,
      allowedDomains: t.allowedDomains,
      signedRequests: t.signedRequests,
      credits: t.credits ? { remaining: creditsLeft ?? t.credits.remaining, refill: t.credits.refill } : null,
      rateLimit: t.rateLimit,
    },
    actor: { userId: user.id, tokenId: token.tokenId, displayPrefix: t.displayPrefix },
  };
}

/** The server acting for itself (e.g. the embedded operator) as an admin with full access. */
export function systemCaller(admin: UserRecord, label: string): Caller {
  return {
    user: admin,
    tokenId: null,
    permissions: ["*:*"],
    limits: NO_LIMITS,
    actor: { userId: admin.id, tokenId: null, displayPrefix: label },
  };
}

/** The calling token must hold `resource:action` (management is governed like any resource). */
export function requirePermission(caller: Caller, resource: string, action: Action): void {
  if (!allows(caller.permissions, resource, action)) {
    throw forbidden(`this token lacks the permission ${resource}:${action}`);
  }
}

/** Global management (users, the registry, settings) needs an admin user and the permission. */
export function requireAdmin(caller: Caller, resource: string, action: Action): void {
  if (!caller.user.admin) throw forbidden(`only admins may ${action} ${resource}`);
  requirePermission(caller, resource, action);
}

/**
 * A user manages their own tokens with the `tokens:<action>` permission; another user's
 * tokens additionally need the caller to be an admin.
 */
export function requireTokenAccess(caller: Caller, ownerId: string, action: Action): void {
  if (ownerId !== caller.user.id && !caller.user.admin) {
    throw forbidden("you may only manage your own tokens");
  }
  requirePermission(caller, "tokens", action);
}
