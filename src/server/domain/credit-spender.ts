import type { Spend, Store } from "./store.js";

interface Request {
  cost: number;
  at: Date;
  resolve: (spend: Spend | null) => void;
  reject: (err: unknown) => void;
}

/** After this many contested retries a batch falls back to one spend per request. */
const MAX_BATCH_RETRIES = 3;

/**
 * Credit spends for one token are batched: while one UPDATE for a token is in flight, the
 * spends that arrive queue up, and the next UPDATE spends all of them at once. A commit
 * (a disk flush) per request would otherwise cap a hot token at the disk's flush rate.
 *
 * The outcome is the one sequential spends would give: requests are taken in arrival
 * order, each admitted while the credits cover it, and each VALID answer gets its own
 * `remaining`. The guarded UPDATE keeps it exact across replicas (their batches serialise
 * on the row's lock); a batch that loses a race is re-checked, never over-spent.
 */
export function createCreditSpender(store: Store) {
  const queues = new Map<string, Request[]>();

  async function spendBatch(tokenId: string, batch: Request[]): Promise<void> {
    let admitted = batch;
    for (let attempt = 0; admitted.length > 0; attempt++) {
      if (attempt > MAX_BATCH_RETRIES) {
        for (const r of admitted) r.resolve(await store.usage.spendCredits(tokenId, r.cost, r.at));
        return;
      }
      const at = admitted[admitted.length - 1]?.at ?? new Date();
      const total = admitted.reduce((sum, r) => sum + r.cost, 0);
      const spend = await store.usage.spendCredits(tokenId, total, at);
      if (!spend) {
        // The token no longer has credits (removed meanwhile): nothing to spend.
        for (const r of admitted) r.resolve(null);
        return;
      }
      if (spend.ok) {
        // In arrival order: the first request saw the most left.
        let after = spend.remaining + total;
        for (const r of admitted) {
          after -= r.cost;
          r.resolve({ ok: true, remaining: after });
        }
        return;
      }
      // Not enough for everyone: admit in order while it fits, refuse the rest.
      let left = spend.remaining;
      const next: Request[] = [];
      const refused: Request[] = [];
      for (const r of admitted) {
        if (r.cost <= left) {
          next.push(r);
          left -= r.cost;
        } else refused.push(r);
      }
      for (const r of refused) r.resolve({ ok: false, remaining: left });
      admitted = next;
    }
  }

  function drain(tokenId: string): void {
    const batch = queues.get(tokenId);
    if (!batch || batch.length === 0) {
      queues.delete(tokenId);
      return;
    }
    queues.set(tokenId, []);
    spendBatch(tokenId, batch)
      .catch((err: unknown) => {
        for (const r of batch) r.reject(err);
      })
      .finally(() => drain(tokenId));
  }

  return {
    spend(tokenId: string, cost: number, at: Date): Promise<Spend | null> {
      return new Promise((resolve, reject) => {
        const queued = queues.get(tokenId);
        if (queued) queued.push({ cost, at, resolve, reject });
        else {
          queues.set(tokenId, [{ cost, at, resolve, reject }]);
          drain(tokenId);
        }
      });
    },
  };
}

export type CreditSpender = ReturnType<typeof createCreditSpender>;
