import type { Spend, UsageStore } from "../domain/store.js";
import type { Database } from "./database.js";

/**
 * The start of the refill period `now` falls in (UTC): the day, the ISO week (Monday) or
 * the month. A token whose last refill is before it gets refilled on its next spend.
 */
const refillDue = (now: string) =>
  `(refill_interval IS NOT NULL AND (refilled_at IS NULL OR refilled_at < date_trunc(
     CASE refill_interval WHEN 'daily' THEN 'day' WHEN 'weekly' THEN 'week' ELSE 'month' END, ${now}::timestamptz, 'UTC')))`;
/** What can be spent at `now`: the refill amount when a refill is due, else what is left. */
const available = (now: string) =>
  `(CASE WHEN ${refillDue(now)} THEN refill_amount ELSE credits_remaining END)`;

/** Per-use writes: credits, replay protection. One statement each, safe across replicas. */
export function usageStore(db: Database): UsageStore {
  return {
    /**
     * Spends `cost` credits atomically, refilling first when a new period has begun. The
     * whole decision is in one UPDATE on the row, so concurrent spends (on any replica)
     * serialise on its lock and are re-evaluated against the row they end up updating:
     * credits are never spent twice, never refilled twice, never below zero.
     */
    async spendCredits(tokenId: string, cost: number, now: Date): Promise<Spend | null> {
      const [spent] = await db.query<{ remaining: number }>(
        `UPDATE tokens SET
           credits_remaining = ${available("$3")} - $2,
           refilled_at = CASE WHEN ${refillDue("$3")} THEN $3 ELSE refilled_at END
         WHERE id = $1 AND credits_remaining IS NOT NULL AND ${available("$3")} >= $2
         RETURNING credits_remaining AS remaining`,
        [tokenId, cost, now],
      );
      if (spent) return { ok: true, remaining: spent.remaining };
      const [left] = await db.query<{ remaining: number | null }>(
        `SELECT ${available("$2")} AS remaining FROM tokens WHERE id = $1`,
        [tokenId, now],
      );
      return left && left.remaining !== null ? { ok: false, remaining: left.remaining } : null;
    },

    /** The credits a token could spend at `now`, without spending any; null when it has no limit. */
    async creditsLeft(tokenId: string, now: Date): Promise<number | null> {
      const [left] = await db.query<{ remaining: number | null }>(
        `SELECT ${available("$2")} AS remaining FROM tokens WHERE id = $1`,
        [tokenId, now],
      );
      return left?.remaining ?? null;
    },

    /** Records a signature; false when it was seen before (a replay). */
    async rememberSignature(digest: Buffer, expiresAt: Date): Promise<boolean> {
      const rows = await db.query(
        "INSERT INTO seen_signatures (digest, expires_at) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING RETURNING 1",
        [digest, expiresAt],
      );
      return rows.length === 1;
    },

    async forgetSignaturesBefore(now: Date): Promise<void> {
      await db.query("DELETE FROM seen_signatures WHERE expires_at < $1", [now]);
    },
  };
}
