import type { AccessToken, AuditEvent, Resource, User } from "../../api/index.js";
import { effectivePermissions } from "../../core/index.js";
import type { AuditRecord, ResourceRecord, TokenRecord, UserRecord } from "../domain/model.js";

/** Domain records rendered as the API's JSON. */

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function tokenView(t: TokenRecord): AccessToken {
  return {
    id: t.id,
    userId: t.userId,
    name: t.name,
    description: t.description,
    kind: t.kind,
    type: t.type,
    permissions: effectivePermissions(t.type, t.permissions),
    // No expiry reads "unlimited" whether it was asked for so or by `expiresAt: null`.
    duration: t.expiresAt === null ? "unlimited" : t.duration,
    expiresAt: iso(t.expiresAt),
    allowedDomains: t.allowedDomains,
    allowedIps: t.allowedIps,
    signedRequests: t.signedRequests,
    credits: t.credits
      ? { remaining: t.credits.remaining, ...(t.credits.refill ? { refill: t.credits.refill } : {}) }
      : null,
    rateLimit: t.rateLimit,
    metadata: t.metadata as AccessToken["metadata"],
    externalId: t.externalId,
    displayPrefix: t.displayPrefix,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    lastUsedAt: iso(t.lastUsedAt),
    revision: t.revision,
    previousSecretExpiresAt: iso(t.previousSecretExpiresAt),
    revokedAt: iso(t.revokedAt),
  };
}

export const userView = (u: UserRecord): User => ({
  id: u.id,
  name: u.name,
  admin: u.admin,
  createdAt: u.createdAt.toISOString(),
});

export const resourceView = (r: ResourceRecord): Resource => ({
  name: r.name,
  description: r.description,
  routes: r.routes,
  builtIn: r.builtIn,
  createdAt: r.createdAt.toISOString(),
});

export const auditView = (a: AuditRecord): AuditEvent => ({
  id: a.id,
  at: a.at.toISOString(),
  actor: { userId: a.actorUserId, tokenId: a.actorTokenId, displayPrefix: a.actorDisplay },
  action: a.action,
  target: { type: a.targetType, id: a.targetId, userId: a.targetUserId },
  details: a.details as AuditEvent["details"],
});
