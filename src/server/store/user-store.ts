import type { AuditEntry } from "../domain/audit-entry.js";
import type { Page, PageRequest, UserRecord } from "../domain/model.js";
import type { UserStore } from "../domain/store.js";
import { StoreError } from "../domain/store-faults.js";
import { recordAudit } from "./audit-trail.js";
import type { ChangeBus } from "./change-bus.js";
import { decodeCursor, encodeCursor, isSequence } from "./cursor.js";
import type { Database, Row } from "./database.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const rowToUser = (r: Row): UserRecord => ({
  id: r.id as string,
  name: r.name as string,
  admin: r.admin as boolean,
  createdAt: r.created_at as Date,
});

/** Users never change once created, only go: a cache invalidated on delete is exact. */
const MAX_CACHED_USERS = 10_000;

export function userStore(db: Database, bus: ChangeBus): UserStore {
  const cache = new Map<string, UserRecord>();
  bus.subscribe((change) => {
    if (change.entity === "user") cache.delete(change.id);
    else if (change.entity === "all") cache.clear();
  });

  async function selectUser(id: string): Promise<UserRecord | null> {
    const [row] = await db.query("SELECT id, name, admin, created_at FROM users WHERE id = $1", [id]);
    return row ? rowToUser(row) : null;
  }

  return {
    async create(user: { id: string; name: string; admin: boolean }, audit: AuditEntry): Promise<UserRecord> {
      return db.transaction(async (tx) => {
        const [row] = await tx.query(
          `INSERT INTO users (id, name, admin) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING
           RETURNING id, name, admin, created_at`,
          [user.id, user.name, user.admin],
        );
        if (!row) {
          const [existing] = await tx.query<{ id: string }>("SELECT id FROM users WHERE name = $1", [
            user.name,
          ]);
          throw new StoreError({ kind: "user-name-taken", name: user.name, existingId: existing?.id });
        }
        await recordAudit(tx, audit);
        return rowToUser(row);
      });
    },

    async get(id: string): Promise<UserRecord | null> {
      if (!UUID.test(id)) return null;
      const cached = cache.get(id);
      if (cached) return cached;
      const found = await selectUser(id);
      if (found) {
        if (cache.size >= MAX_CACHED_USERS) cache.clear();
        cache.set(id, found);
      }
      return found;
    },

    async findByName(name: string): Promise<UserRecord | null> {
      const [row] = await db.query("SELECT id, name, admin, created_at FROM users WHERE name = $1", [name]);
      return row ? rowToUser(row) : null;
    },

    async list(page: PageRequest, name?: string): Promise<Page<UserRecord>> {
      const after = page.cursor ? decodeCursor(page.cursor, ["s"] as const).s : null;
      if (after !== null && !isSequence(after)) return { items: [], nextCursor: null };
      const rows = await db.query(
        `SELECT id, name, admin, created_at, seq::text AS seq FROM users
         WHERE ($1::text IS NULL OR name = $1) AND ($2::bigint IS NULL OR seq > $2::bigint)
         ORDER BY seq LIMIT $3`,
        [name ?? null, after, page.limit + 1],
      );
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return {
        items: items.map(rowToUser),
        nextCursor: rows.length > page.limit && last ? encodeCursor({ s: last.seq as string }) : null,
      };
    },

    /** Deletes the user and all their tokens; every replica hears about each token. */
    async delete(id: string, audit: AuditEntry): Promise<boolean> {
      return db.transaction(async (tx) => {
        const tokens = await tx.query<{ id: string; revision: number }>(
          "SELECT id, revision FROM tokens WHERE user_id = $1 FOR UPDATE",
          [id],
        );
        const [row] = await tx.query("DELETE FROM users WHERE id = $1 RETURNING id", [id]);
        if (!row) return false;
        for (const t of tokens) {
          await bus.publish(tx, {
            entity: "token",
            op: "delete",
            id: t.id,
            userId: id,
            revision: t.revision,
          });
        }
        await bus.publish(tx, { entity: "user", op: "delete", id });
        await recordAudit(tx, { ...audit, details: { ...audit.details, tokensRevoked: tokens.length } });
        return true;
      });
    },
  };
}
