import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Change } from "../domain/model.js";
import type { Database, Tx } from "./database.js";

const CHANNEL = "tokenplane_changes";

export interface ChangeBus {
  /**
   * Announces a change made in `tx`: to this process right after commit (so the replica
   * that made it never serves stale state), and to every other replica through NOTIFY.
   */
  publish(tx: Tx, change: Change): Promise<void>;
  /**
   * Announces a change that has already committed (a self-committing statement): to this
   * process at once, and to other replicas by a NOTIFY in a transaction of its own.
   * Only for changes no cache can hold yet (a new token, a use): NOTIFY inside the writing
   * transaction would hold PostgreSQL's notify lock across that commit's disk flush,
   * which serializes every concurrent creation's commit.
   */
  announceCommitted(change: Change): Promise<void>;
  subscribe(listener: (change: Change) => void): () => void;
  close(): Promise<void>;
}

export async function openChangeBus(db: Database, log: Logger): Promise<ChangeBus> {
  const origin = randomUUID();
  const listeners = new Set<(change: Change) => void>();
  const deliver = (change: Change): void => {
    for (const listener of listeners) listener(change);
  };

  const unlisten = await db.listen(CHANNEL, (payload) => {
    // "" means the connection was re-established and notifications may have been missed.
    if (payload === "") return deliver({ entity: "all", op: "resync" });
    try {
      const message = JSON.parse(payload) as { origin: string; change: Change };
      if (message.origin !== origin) deliver(message.change);
    } catch {
      log.error("unreadable change notification; resyncing");
      deliver({ entity: "all", op: "resync" });
    }
  });

  return {
    async publish(tx, change) {
      await tx.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify({ origin, change })]);
      tx.afterCommit(() => deliver(change));
    },
    async announceCommitted(change) {
      deliver(change);
      try {
        // The notification is not data: it need not wait for the disk, so the lock is brief.
        await db.query("SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)", [
          CHANNEL,
          JSON.stringify({ origin, change }),
        ]);
      } catch (err) {
        // The change is committed; other replicas' streams learn of it when they next resync.
        log.warn({ err: (err as Error).message, entity: change.entity }, "could not announce a change");
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: unlisten,
  };
}
