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
   * For a change written by one self-committing statement: the pg_notify arguments to put in
   * that statement, and `announce` to call once it has returned (the local delivery).
   */
  notice(change: Change): { channel: string; payload: string; announce: () => void };
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
    notice(change) {
      return {
        channel: CHANNEL,
        payload: JSON.stringify({ origin, change }),
        announce: () => deliver(change),
      };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: unlisten,
  };
}
