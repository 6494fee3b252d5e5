import type { TokenKind, TokenType } from "../../core/index.js";
import type { RefillInterval, TokenRecord } from "../domain/model.js";
import type { TokenSettings } from "../domain/store.js";
import type { Row } from "./database.js";

/* How a token maps to the columns of its row, and back. */

export const COLUMNS = `t.id, t.user_id, t.name, t.description, t.kind, t.type, t.permissions, t.duration, t.expires_at,
  t.allowed_domains, t.allowed_ips, t.signed_requests, t.credits_remaining, t.refill_amount, t.refill_interval,
  t.refilled_at, t.rate_limit, t.rate_window, t.metadata, t.external_id, t.display_prefix, t.created_at,
  t.updated_at, t.last_used_at, t.revision, t.revoked_at,
  (SELECT max(ps.expires_at) FROM token_secrets ps WHERE ps.token_id = t.id AND ps.expires_at > now())
    AS previous_secret_expires_at`;

export function rowToToken(r: Row): TokenRecord {
  const remaining = r.credits_remaining as number | null;
  const refillAmount = r.refill_amount as number | null;
  return {
    id: r.id as string,
    userId: r.user_id as string,
    name: r.name as string,
    description: r.description as string,
    kind: r.kind as TokenKind,
    type: r.type as TokenType,
    permissions: r.permissions as string[],
    duration: r.duration as string | null,
    expiresAt: r.expires_at as Date | null,
    allowedDomains: r.allowed_domains as string[],
    allowedIps: r.allowed_ips as string[],
    signedRequests: r.signed_requests as boolean,
    credits:
      remaining === null
        ? null
        : {
            remaining,
            refill:
              refillAmount === null
                ? null
                : { amount: refillAmount, interval: r.refill_interval as RefillInterval },
            refilledAt: r.refilled_at as Date | null,
          },
    rateLimit:
      r.rate_limit === null ? null : { limit: r.rate_limit as number, window: r.rate_window as string },
    metadata: r.metadata as Record<string, unknown>,
    externalId: r.external_id as string | null,
    displayPrefix: r.display_prefix as string,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    lastUsedAt: r.last_used_at as Date | null,
    revision: r.revision as number,
    previousSecretExpiresAt: (r.previous_secret_expires_at as Date | null | undefined) ?? null,
    revokedAt: (r.revoked_at as Date | null | undefined) ?? null,
  };
}

/** Column values for the settings, in the order `SETTINGS_COLUMNS` lists them. */
export function settingsValues(s: TokenSettings): unknown[] {
  return [
    s.name,
    s.description,
    s.type,
    s.permissions,
    s.duration,
    s.expiresAt,
    s.allowedDomains,
    s.allowedIps,
    s.credits?.remaining ?? null,
    s.credits?.refill?.amount ?? null,
    s.credits?.refill?.interval ?? null,
    s.rateLimit?.limit ?? null,
    s.rateLimit?.window ?? null,
    JSON.stringify(s.metadata),
    s.externalId,
  ];
}
/** SQL types for casting parameters in INSERT ... SELECT (which infers none). */
export const COLUMN_TYPES: Record<string, string> = {
  id: "uuid",
  user_id: "uuid",
  signed_requests: "boolean",
  refilled_at: "timestamptz",
  permissions: "text[]",
  expires_at: "timestamptz",
  allowed_domains: "text[]",
  allowed_ips: "text[]",
  credits_remaining: "int",
  refill_amount: "int",
  rate_limit: "int",
  metadata: "jsonb",
};

export const SETTINGS_COLUMNS = [
  "name",
  "description",
  "type",
  "permissions",
  "duration",
  "expires_at",
  "allowed_domains",
  "allowed_ips",
  "credits_remaining",
  "refill_amount",
  "refill_interval",
  "rate_limit",
  "rate_window",
  "metadata",
  "external_id",
];
