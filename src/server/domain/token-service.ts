import { randomUUID } from "node:crypto";
import type {
  CreateAccessTokenBody,
  RegenerateAccessTokenBody,
  UpdateAccessTokenBody,
} from "../../api/index.js";
import { inspectToken, parseDuration } from "../../core/index.js";
import type { AuditEntry } from "./audit-entry.js";
import type { Store, TokenFilter } from "./store.js";
import { type Caller, requireAdmin, requireTokenAccess } from "./caller.js";
import { forbiddenFields, invalid, notFound } from "./errors.js";
import { requireWithinCaller } from "./grant-bounds.js";
import type { Page, PageRequest, TokenRecord } from "./model.js";
import { hashSecret, type Peppers } from "./peppers.js";
import { issueSecret } from "./secrets.js";
import { buildSettings, requireKindFits } from "./token-settings.js";

export interface IssuedToken {
  record: TokenRecord;
  /** The plain token: returned to the caller once, never stored or logged. */
  plain: string;
  privateKey?: string;
}

const MAX_GRACE_MS = 30 * 86_400_000;

export function tokenService(store: Store, peppers: Peppers, now: () => number) {
  const audit = (
    caller: Caller,
    action: string,
    token: { id: string; userId: string },
    details = {},
  ): AuditEntry => ({
    actor: caller.actor,
    action,
    targetType: "token",
    targetId: token.id,
    targetUserId: token.userId,
    details,
  });

  async function owned(
    caller: Caller,
    userId: string,
    tokenId: string,
    action: "read" | "update" | "delete",
  ) {
    requireTokenAccess(caller, userId, action);
    const token = await store.tokens.get(tokenId);
    if (!token || token.userId !== userId) throw notFound("token");
    return token;
  }

  /**
   * Credits a metered caller gives another token come out of its own, so minting tokens does
   * not multiply a budget. Taken after every other check passed; not refunded if the write
   * then fails (a lost credit, never a gained one).
   */
  async function payForCredits(caller: Caller, tokenId: string, granted: number): Promise<void> {
    if (!caller.limits.credits || !caller.tokenId || caller.tokenId === tokenId || granted <= 0) return;
    const spend = await store.usage.spendCredits(caller.tokenId, granted, new Date(now()));
    if (spend && !spend.ok) {
      throw forbiddenFields([
        {
          field: "credits.remaining",
          message: `giving ${granted} credits takes them from the calling token, which has ${spend.remaining} left`,
        },
      ]);
    }
  }

  /** The token a plain value belongs to, under any pepper version; its secret may be superseded. */
  async function byValue(plain: string): Promise<TokenRecord> {
    if (!inspectToken(plain).ok) throw notFound("token");
    const versions = [...peppers.keys.keys()].sort((a, b) => b - a);
    for (const version of versions) {
      const found = await store.tokens.findBySecretHash(hashSecret(peppers, plain, version));
      if (found) return found.token;
    }
    throw notFound("token");
  }

  async function requireUser(userId: string) {
    const user = await store.users.get(userId);
    if (!user) throw notFound("user");
    return user;
  }

  return {
    async create(caller: Caller, userId: string, body: CreateAccessTokenBody): Promise<IssuedToken> {
      requireTokenAccess(caller, userId, "create");
      await requireUser(userId);
      const settings = buildSettings(body, undefined, now());
      const kind = body.kind ?? "secret";
      requireKindFits(kind, settings);
      const signedRequests = body.signedRequests ?? false;
      requireWithinCaller(caller, { ...settings, signedRequests });
      const id = randomUUID();
      await payForCredits(caller, id, settings.credits?.remaining ?? 0);
      const issued = issueSecret(peppers, kind, signedRequests);
      const record = await store.tokens.create(
        {
          id,
          userId,
          kind,
          signedRequests,
          displayPrefix: issued.displayPrefix,
          refilledAt: settings.credits?.refill ? new Date(now()) : null,
          ...settings,
        },
        issued.stored,
        audit(caller, "token.create", { id, userId }, { name: settings.name, type: settings.type, kind }),
      );
      return { record, plain: issued.plain, ...(issued.privateKey ? { privateKey: issued.privateKey } : {}) };
    },

    async list(
      caller: Caller,
      userId: string,
      page: PageRequest,
      filter: { name?: string | undefined } = {},
    ): Promise<Page<TokenRecord>> {
      requireTokenAccess(caller, userId, "read");
      await requireUser(userId);
      return store.tokens.list(userId, page, filter);
    },

    /** Every user's tokens (admins): the inventory for audits and leak response. */
    inventory(
      caller: Caller,
      filter: Omit<TokenFilter, "now">,
      page: PageRequest,
    ): Promise<Page<TokenRecord>> {
      requireAdmin(caller, "tokens", "read");
      return store.tokens.search({ ...filter, now: new Date(now()) }, page);
    },

    /** Which token a plain value is (admins; e.g. one found in a leak). */
    async lookup(caller: Caller, plain: string): Promise<TokenRecord> {
      requireAdmin(caller, "tokens", "read");
      return byValue(plain);
    },

    /** Revokes the token a plain value belongs to (admins), without knowing its owner or id. */
    async revokeByValue(caller: Caller, plain: string): Promise<TokenRecord> {
      requireAdmin(caller, "tokens", "delete");
      const token = await byValue(plain);
      const deleted = await store.tokens.delete(
        token.id,
        audit(caller, "token.revoke", token, { name: token.name, byValue: true }),
      );
      if (!deleted) throw notFound("token");
      return token;
    },

    get: (caller: Caller, userId: string, tokenId: string): Promise<TokenRecord> =>
      owned(caller, userId, tokenId, "read"),

    async findByExternalId(caller: Caller, userId: string, externalId: string): Promise<TokenRecord | null> {
      requireTokenAccess(caller, userId, "read");
      return store.tokens.findByExternalId(userId, externalId);
    },

    async update(
      caller: Caller,
      userId: string,
      tokenId: string,
      body: UpdateAccessTokenBody,
    ): Promise<TokenRecord> {
      const before = await owned(caller, userId, tokenId, "update");
      if (body.credits) {
        // Checked before paying, and again on the row inside the update.
        const settings = buildSettings(body, before, now());
        requireWithinCaller(caller, { ...settings, signedRequests: before.signedRequests });
        await payForCredits(caller, tokenId, body.credits.remaining - (before.credits?.remaining ?? 0));
      }
      const record = await store.tokens.update(
        tokenId,
        (current) => {
          const settings = buildSettings(body, current, now());
          requireKindFits(current.kind, settings);
          requireWithinCaller(caller, { ...settings, signedRequests: current.signedRequests });
          return settings;
        },
        audit(caller, "token.update", { id: tokenId, userId }, { fields: Object.keys(body).sort() }),
        // A new refill schedule starts counting from now.
        body.credits?.refill ? { refilledAt: new Date(now()) } : {},
      );
      if (!record) throw notFound("token");
      return record;
    },

    async regenerate(
      caller: Caller,
      userId: string,
      tokenId: string,
      body: RegenerateAccessTokenBody,
    ): Promise<IssuedToken> {
      const current = await owned(caller, userId, tokenId, "update");
      const kind = body.kind ?? current.kind;
      requireKindFits(kind, current);
      const graceMs = body.gracePeriod ? (parseDuration(body.gracePeriod) ?? 0) : 0;
      if (graceMs > MAX_GRACE_MS) throw invalid([{ field: "gracePeriod", message: "must be at most 30d" }]);
      const signedRequests = body.signedRequests ?? current.signedRequests;
      // The new secret is the token's whole power: only for a caller that holds at least as much.
      requireWithinCaller(caller, { ...current, signedRequests });
      const issued = issueSecret(peppers, kind, signedRequests);
      const record = await store.tokens.replaceSecret(
        tokenId,
        issued.stored,
        { kind, signedRequests, displayPrefix: issued.displayPrefix },
        graceMs > 0 ? new Date(now() + graceMs) : null,
        audit(caller, "token.regenerate", current, {
          gracePeriod: body.gracePeriod ?? null,
          kind,
          signedRequests,
        }),
      );
      if (!record) throw notFound("token");
      return { record, plain: issued.plain, ...(issued.privateKey ? { privateKey: issued.privateKey } : {}) };
    },

    async revoke(caller: Caller, userId: string, tokenId: string): Promise<void> {
      const current = await owned(caller, userId, tokenId, "delete");
      const deleted = await store.tokens.delete(
        tokenId,
        audit(caller, "token.revoke", current, { name: current.name }),
      );
      if (!deleted) throw notFound("token");
    },
  };
}

export type TokenService = ReturnType<typeof tokenService>;
