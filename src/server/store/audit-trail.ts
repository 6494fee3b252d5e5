import type { AuditEntry } from "../domain/audit-entry.js";
import type { Sql } from "./database.js";

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
