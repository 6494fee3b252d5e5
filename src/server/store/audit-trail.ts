import type { Sql } from "./database.js";

/** Who did something: the authenticated token and its user, or the system itself. */
export interface Actor {
  userId: string | null;
  tokenId: string | null;
  displayPrefix: string | null;
}

export const SYSTEM_ACTOR: Actor = { userId: null, tokenId: null, displayPrefix: "system" };

export interface AuditEntry {
  actor: Actor;
  action: string;
  targetType: string;
  targetId: string | null;
  targetUserId?: string | null;
  /** Never a token or key: only names, ids and settings. */
  details?: Record<string, unknown>;
}

/** Records one management action in the same transaction as the change it describes. */
export async function recordAudit(tx: Sql, entry: AuditEntry): Promise<void> {
  await tx.query(
    `INSERT INTO audit_events (actor_user_id, actor_token_id, actor_display, action, target_type, target_id, target_user_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      entry.actor.userId,
      entry.actor.tokenId,
      entry.actor.displayPrefix,
      entry.action,
      entry.targetType,
      entry.targetId,
      entry.targetUserId ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  );
}
