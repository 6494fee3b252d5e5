/** Who did something: the authenticated token and its user, or the system itself. */
export interface Actor {
  userId: string | null;
  tokenId: string | null;
  displayPrefix: string | null;
}

export const SYSTEM_ACTOR: Actor = { userId: null, tokenId: null, displayPrefix: "system" };

/** One management action, recorded by the store in the same transaction as the change. */
export interface AuditEntry {
  actor: Actor;
  action: string;
  targetType: string;
  targetId: string | null;
  targetUserId?: string | null;
  /** Never a token or key: only names, ids and settings. */
  details?: Record<string, unknown>;
}
