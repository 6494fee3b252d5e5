import type { AuditRecord, Page, PageRequest } from "../domain/model.js";
import type { AuditFilter, AuditStore } from "../domain/store.js";
import { decodeCursor, encodeCursor, isSequence } from "./cursor.js";
import type { Database, Row } from "./database.js";

const rowToAudit = (r: Row): AuditRecord => ({
  id: r.id as string,
  at: r.at as Date,
  actorUserId: r.actor_user_id as string | null,
  actorTokenId: r.actor_token_id as string | null,
  actorDisplay: r.actor_display as string | null,
  action: r.action as string,
  targetType: r.target_type as string,
  targetId: r.target_id as string | null,
  targetUserId: r.target_user_id as string | null,
  details: r.details as Record<string, unknown>,
});

export function auditStore(db: Database): AuditStore {
  return {
    /** Newest first. */
    async list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditRecord>> {
      const before = page.cursor ? decodeCursor(page.cursor, ["i"] as const) : undefined;
      if (before && !isSequence(before.i)) return { items: [], nextCursor: null };
      const rows = await db.query(
        `SELECT id::text AS id, at, actor_user_id::text, actor_token_id::text, actor_display, action, target_type,
                target_id, target_user_id::text, details
         FROM audit_events
         WHERE ($1::text IS NULL OR actor_user_id::text = $1)
           AND ($2::text IS NULL OR (target_type = 'token' AND target_id = $2) OR actor_token_id::text = $2)
           AND ($3::text IS NULL OR actor_user_id::text = $3 OR target_user_id::text = $3)
           AND ($4::bigint IS NULL OR id < $4::bigint)
         ORDER BY audit_events.id DESC LIMIT $5`,
        [
          filter.actorUserId ?? null,
          filter.tokenId ?? null,
          filter.visibleTo ?? null,
          before?.i ?? null,
          page.limit + 1,
        ],
      );
      const items = rows.slice(0, page.limit).map(rowToAudit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > page.limit && last ? encodeCursor({ i: last.id }) : null };
    },
  };
}
