import { resourceOf, type TokenKind } from "../../core/index.js";
import type { AuditEntry } from "../domain/audit-entry.js";
import type { Change, Page, PageRequest, SecretRecord, TokenRecord } from "../domain/model.js";
import type { NewSecret, NewToken, TokenFilter, TokenSettings, TokenStore } from "../domain/store.js";
import { StoreError } from "../domain/store-faults.js";
import { recordAudit } from "./audit-trail.js";
import type { ChangeBus } from "./change-bus.js";
import { decodeCursor, encodeCursor, isSequence } from "./cursor.js";
import type { Database, Row, Sql } from "./database.js";
import { requireRegistered } from "./resource-check.js";
import { COLUMN_TYPES, COLUMNS, rowToToken, SETTINGS_COLUMNS, settingsValues } from "./token-rows.js";

async function selectToken(sql: Sql, id: string): Promise<TokenRecord | null> {
  const [row] = await sql.query(`SELECT ${COLUMNS} FROM tokens t WHERE t.id = $1 AND t.revoked_at IS NULL`, [
    id,
  ]);
  return row ? rowToToken(row) : null;
}

async function existingIdFor(sql: Sql, userId: string, externalId: string): Promise<string | undefined> {
  const [row] = await sql.query<{ id: string }>(
    "SELECT id FROM tokens WHERE user_id = $1 AND external_id = $2",
    [userId, externalId],
  );
  return row?.id;
}

/** The change that announces a token's current revision: caches drop it, streams re-read it. */
function upsertOf(token: TokenRecord): Change {
  return { entity: "token", op: "upsert", id: token.id, userId: token.userId, revision: token.revision };
}

function sameSettings(current: TokenRecord, next: TokenSettings): boolean {
  return JSON.stringify(settingsValues(current)) === JSON.stringify(settingsValues(next));
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === "23505";
}

export function tokenStore(db: Database, bus: ChangeBus): TokenStore {
  async function search(filter: TokenFilter, page: PageRequest): Promise<Page<TokenRecord>> {
    const after = page.cursor ? decodeCursor(page.cursor, ["s"] as const).s : null;
    if (after !== null && !isSequence(after)) return { items: [], nextCursor: null };
    const rows = await db.query(
      `SELECT ${COLUMNS}, t.seq::text AS seq FROM tokens t
       WHERE ($1::uuid IS NULL OR t.user_id = $1::uuid)
         AND ($2::text IS NULL OR t.name = $2::text)
         AND ($3::text IS NULL OR t.display_prefix = $3::text)
         AND (t.revoked_at IS NOT NULL) = ($4::text IS NOT DISTINCT FROM 'revoked')
         AND ($4::text IS NULL OR $4::text = 'revoked'
              OR ($4::text = 'expired') = (t.expires_at IS NOT NULL AND t.expires_at <= $5::timestamptz))
         AND ($6::bigint IS NULL OR t.seq > $6::bigint)
       ORDER BY t.seq LIMIT $7`,
      [
        filter.userId ?? null,
        filter.name ?? null,
        filter.displayPrefix ?? null,
        filter.state ?? null,
        filter.now ?? new Date(),
        after,
        page.limit + 1,
      ],
    );
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map(rowToToken),
      nextCursor: rows.length > page.limit && last ? encodeCursor({ s: last.seq as string }) : null,
    };
  }

  return {
    /**
     * One self-committing statement (a round trip instead of six): the registry check under
     * a share lock, the token, its secret, the audit record and the change notification.
     * When nothing was inserted, a second look says why (an externalId conflict, or a
     * permission naming an unregistered resource).
     */
    async create(token: NewToken, secret: NewSecret, audit: AuditEntry): Promise<TokenRecord> {
      const names = [...new Set(token.permissions.map(resourceOf))].filter((n) => n !== "*");
      const values = [
        token.id,
        token.userId,
        token.kind,
        token.signedRequests,
        token.displayPrefix,
        token.refilledAt,
        ...settingsValues(token),
      ];
      const columns = [
        "id",
        "user_id",
        "kind",
        "signed_requests",
        "display_prefix",
        "refilled_at",
        ...SETTINGS_COLUMNS,
      ];
      const casts = columns.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c] ?? "text"}`).join(", ");
      const n = values.length;
      const [row] = await db.query(
        `WITH locked AS (SELECT name FROM resources WHERE name = ANY($${n + 1}::text[]) FOR SHARE),
         t AS (
           INSERT INTO tokens (${columns.join(", ")}, created_at, updated_at)
           SELECT ${casts}, now(), now() WHERE (SELECT count(*) FROM locked) = $${n + 2}
           ON CONFLICT ON CONSTRAINT tokens_external_id_unique DO NOTHING
           RETURNING ${COLUMNS.replaceAll("t.", "")}
         ),
         s AS (
           INSERT INTO token_secrets (hash, token_id, pepper_version, public_key)
           SELECT $${n + 3}::bytea, id, $${n + 4}::int, $${n + 5}::text FROM t
         ),
         a AS (
           INSERT INTO audit_events (actor_user_id, actor_token_id, actor_display, action, target_type, target_id, target_user_id, details)
           SELECT $${n + 6}::uuid, $${n + 7}::uuid, $${n + 8}::text, $${n + 9}::text, $${n + 10}::text, id::text, user_id, $${n + 11}::jsonb FROM t
         )
         SELECT t.* FROM t`,
        [
          ...values,
          names,
          names.length,
          secret.hash,
          secret.pepperVersion,
          secret.publicKey,
          audit.actor.userId,
          audit.actor.tokenId,
          audit.actor.displayPrefix,
          audit.action,
          audit.targetType,
          JSON.stringify(audit.details ?? {}),
        ],
      );
      if (row) {
        const record = rowToToken(row);
        await bus.announceCommitted(upsertOf(record));
        return record;
      }
      if (token.externalId !== null) {
        const existing = await existingIdFor(db, token.userId, token.externalId);
        if (existing) throw new StoreError({ kind: "external-id-taken", existingId: existing });
      }
      await requireRegistered(db, token.permissions);
      throw new Error("the token was not created, for no reason storage would tell");
    },

    get: (id: string): Promise<TokenRecord | null> => selectToken(db, id),

    async findByExternalId(userId: string, externalId: string): Promise<TokenRecord | null> {
      const [row] = await db.query(
        `SELECT ${COLUMNS} FROM tokens t WHERE t.user_id = $1 AND t.external_id = $2 AND t.revoked_at IS NULL`,
        [userId, externalId],
      );
      return row ? rowToToken(row) : null;
    },

    list(
      userId: string,
      page: PageRequest,
      filter: Omit<TokenFilter, "userId"> = {},
    ): Promise<Page<TokenRecord>> {
      return search({ ...filter, userId }, page);
    },

    /** Every user's tokens (the admins' inventory), oldest first, narrowed by `filter`. */
    search: (filter: TokenFilter, page: PageRequest): Promise<Page<TokenRecord>> => search(filter, page),

    /**
     * Read-modify-write under a row lock: `change` gets the current token and returns its
     * new settings (or throws to abort). Bumps the revision. Null when the token is gone.
     */
    async update(
      id: string,
      change: (current: TokenRecord) => TokenSettings | Promise<TokenSettings>,
      audit: AuditEntry,
      options: { refilledAt?: Date } = {},
    ): Promise<TokenRecord | null> {
      try {
        return await db.transaction(async (tx) => {
          const [current] = await tx.query(
            `SELECT ${COLUMNS} FROM tokens t WHERE t.id = $1 AND t.revoked_at IS NULL FOR UPDATE`,
            [id],
          );
          if (!current) return null;
          const before = rowToToken(current);
          const settings = await change(before);
          // A PATCH that changes nothing writes nothing: no revision, no audit, no event.
          if (options.refilledAt === undefined && sameSettings(before, settings)) return before;
          await requireRegistered(tx, settings.permissions);
          const values = settingsValues(settings);
          const assignments = SETTINGS_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(", ");
          const [row] = await tx.query(
            `UPDATE tokens t SET ${assignments}, updated_at = now(), revision = revision + 1,
               refilled_at = coalesce($${values.length + 2}::timestamptz, refilled_at)
             WHERE id = $1 RETURNING ${COLUMNS.replaceAll("t.", "")}`,
            [id, ...values, options.refilledAt ?? null],
          );
          const record = rowToToken(row as Row);
          await recordAudit(tx, audit);
          await bus.publish(tx, upsertOf(record));
          return record;
        });
      } catch (err) {
        if (isUniqueViolation(err))
          throw new StoreError({ kind: "external-id-taken", existingId: undefined }, err);
        throw err;
      }
    },

    /**
     * Issues a new secret. Earlier secrets stop working at `graceUntil` (now when null);
     * `kind`, `signedRequests` and the display prefix follow the new secret.
     */
    async replaceSecret(
      id: string,
      secret: NewSecret,
      next: { kind: TokenKind; signedRequests: boolean; displayPrefix: string },
      graceUntil: Date | null,
      audit: AuditEntry,
    ): Promise<TokenRecord | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx.query(
          `UPDATE tokens t SET kind = $2, signed_requests = $3, display_prefix = $4, updated_at = now(),
             revision = revision + 1 WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS.replaceAll("t.", "")}`,
          [id, next.kind, next.signedRequests, next.displayPrefix],
        );
        if (!row) return null;
        if (graceUntil === null) {
          await tx.query("DELETE FROM token_secrets WHERE token_id = $1", [id]);
        } else {
          await tx.query("DELETE FROM token_secrets WHERE token_id = $1 AND expires_at <= now()", [id]);
          await tx.query(
            `UPDATE token_secrets SET expires_at = LEAST(coalesce(expires_at, $2), $2) WHERE token_id = $1`,
            [id, graceUntil],
          );
        }
        await tx.query(
          "INSERT INTO token_secrets (hash, token_id, pepper_version, public_key) VALUES ($1, $2, $3, $4)",
          [secret.hash, id, secret.pepperVersion, secret.publicKey],
        );
        // Read again: the superseded secrets' end is known only now.
        const record = (await selectToken(tx, id)) ?? rowToToken(row);
        await recordAudit(tx, audit);
        await bus.publish(tx, upsertOf(record));
        return record;
      });
    },

    async delete(id: string, audit: AuditEntry): Promise<boolean> {
      return db.transaction(async (tx) => {
        // Kept as revoked, without its secrets; its externalId is freed for a successor.
        const [row] = await tx.query<{ user_id: string; revision: number }>(
          `UPDATE tokens SET revoked_at = now(), updated_at = now(), external_id = NULL, revision = revision + 1
           WHERE id = $1 AND revoked_at IS NULL RETURNING user_id, revision`,
          [id],
        );
        if (!row) return false;
        await tx.query("DELETE FROM token_secrets WHERE token_id = $1", [id]);
        await recordAudit(tx, audit);
        await bus.publish(tx, {
          entity: "token",
          op: "delete",
          id,
          userId: row.user_id,
          revision: row.revision,
        });
        return true;
      });
    },

    /** The token a secret hash belongs to; the caller checks the secret's grace period. */
    async findBySecretHash(hash: Buffer): Promise<{ token: TokenRecord; secret: SecretRecord } | null> {
      const [row] = await db.query(
        `SELECT ${COLUMNS}, s.hash AS s_hash, s.pepper_version AS s_pepper_version, s.public_key AS s_public_key,
           s.expires_at AS s_expires_at
         FROM token_secrets s JOIN tokens t ON t.id = s.token_id
         WHERE s.hash = $1 AND t.revoked_at IS NULL`,
        [hash],
      );
      if (!row) return null;
      return {
        token: rowToToken(row),
        secret: {
          hash: Buffer.from(row.s_hash as Uint8Array),
          tokenId: row.id as string,
          pepperVersion: row.s_pepper_version as number,
          publicKey: row.s_public_key as string | null,
          expiresAt: row.s_expires_at as Date | null,
        },
      };
    },

    /** Moves a secret to the current pepper (on its first use after a pepper rotation). */
    async rehashSecret(oldHash: Buffer, newHash: Buffer, pepperVersion: number): Promise<void> {
      await db.query("UPDATE token_secrets SET hash = $2, pepper_version = $3 WHERE hash = $1", [
        oldHash,
        newHash,
        pepperVersion,
      ]);
    },

    /**
     * Records a use; never moves lastUsedAt backwards. Not a revision: caches keep the token,
     * and only streams hear of it (a `usage` change), so consoles show the use live.
     */
    async touchLastUsed(id: string, at: Date): Promise<void> {
      const [row] = await db.query<{ user_id: string }>(
        `UPDATE tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)
         RETURNING user_id::text`,
        [id, at],
      );
      if (row)
        await bus.announceCommitted({
          entity: "usage",
          id,
          userId: row.user_id,
          lastUsedAt: at.toISOString(),
        });
    },

    /** Whether any token's custom permissions name `resource`. */
    async anyUsesResource(resource: string): Promise<boolean> {
      const [row] = await db.query<{ used: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM tokens t, unnest(t.permissions) p
           WHERE t.revoked_at IS NULL AND split_part(p, ':', 1) = $1) AS used`,
        [resource],
      );
      return row?.used ?? false;
    },
  };
}
