import type { TokenKind, TokenType } from "../../core/index.js";

/** The token server's domain records. Timestamps are Dates; the HTTP layer renders them. */

export type RefillInterval = "daily" | "weekly" | "monthly";

export interface UserRecord {
  id: string;
  name: string;
  admin: boolean;
  createdAt: Date;
}

export interface Credits {
  remaining: number;
  refill: { amount: number; interval: RefillInterval } | null;
  refilledAt: Date | null;
}

export interface RateLimit {
  limit: number;
  window: string;
}

export interface TokenRecord {
  id: string;
  userId: string;
  name: string;
  description: string;
  kind: TokenKind;
  type: TokenType;
  /** Only meaningful for `custom`; see `effectivePermissions` for what the token holds. */
  permissions: string[];
  duration: string | null;
  expiresAt: Date | null;
  allowedDomains: string[];
  allowedIps: string[];
  signedRequests: boolean;
  credits: Credits | null;
  rateLimit: RateLimit | null;
  metadata: Record<string, unknown>;
  externalId: string | null;
  displayPrefix: string;
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt: Date | null;
  revision: number;
  /** While a regeneration's grace period runs: when the superseded secret stops working. */
  previousSecretExpiresAt: Date | null;
  /** When it was revoked; revoked tokens are only shown to admins (the inventory). */
  revokedAt: Date | null;
}

/** A stored secret of a token: its keyed hash, never the token. */
export interface SecretRecord {
  hash: Buffer;
  tokenId: string;
  pepperVersion: number;
  publicKey: string | null;
  expiresAt: Date | null;
}

export interface ResourceRecord {
  name: string;
  description: string;
  routes: { pathPrefix: string; methods?: string[] }[];
  builtIn: boolean;
  createdAt: Date;
}

export interface AuditRecord {
  id: string;
  at: Date;
  actorUserId: string | null;
  actorTokenId: string | null;
  actorDisplay: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  targetUserId: string | null;
  details: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** What changed, published to every replica (LISTEN/NOTIFY) after commit. */
export type Change =
  | { entity: "token"; op: "upsert" | "delete"; id: string; userId: string; revision: number }
  | { entity: "user"; op: "delete"; id: string }
  | { entity: "settings" | "resources"; op: "upsert" | "delete" }
  /** A token was used (lastUsedAt moved): not a revision, so no cache drops anything for it. */
  | { entity: "usage"; id: string; userId: string; lastUsedAt: string }
  /** The feed may have missed changes (a reconnect): drop every cached view. */
  | { entity: "all"; op: "resync" };
