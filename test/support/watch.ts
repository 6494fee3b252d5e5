import { ndjsonLines } from "./http.js";

/** An open `subscribe=true` stream: collects lines and waits for the ones a test expects. */
export interface WatchStream {
  events: Record<string, unknown>[];
  next(
    predicate: (e: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): void;
  response: Response;
  /** Settles when the server ends the stream (or close() aborts it). */
  ended: Promise<void>;
}

export async function openWatch(url: string, token: string): Promise<WatchStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  const events: Record<string, unknown>[] = [];
  const waiters: {
    predicate: (e: Record<string, unknown>) => boolean;
    from: number;
    resolve: (e: Record<string, unknown>) => void;
  }[] = [];
  let consumed = 0;
  const ended = (async () => {
    try {
      for await (const event of ndjsonLines(response)) {
        events.push(event);
        for (const w of [...waiters]) {
          const found = events.slice(w.from).find(w.predicate);
          if (found) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(found);
          }
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    events,
    response,
    ended,
    next(predicate, timeoutMs = 5000) {
      // Each call looks only at events after the one the previous call returned.
      const from = consumed;
      const already = events.slice(from).find(predicate);
      const settle = (e: Record<string, unknown>) => {
        consumed = events.indexOf(e) + 1;
        return e;
      };
      if (already) return Promise.resolve(settle(already));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching watch event within ${timeoutMs} ms; got ${JSON.stringify(events.slice(from))}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          predicate,
          from,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(settle(e));
          },
        });
      });
    },
    close: () => abort.abort(),
  };
}

export const isType =
  (type: string, name?: string) =>
  (e: Record<string, unknown>): boolean =>
    e.type === type && (name === undefined || (e.object as { name?: string } | undefined)?.name === name);

/**
 * An event showing `name` at `revision` or later. A stream reports current state, so a change
 * that lands before the stream has read the previous one may arrive as ADDED or MODIFIED.
 */
export const showsRevision =
  (name: string, revision: number) =>
  (e: Record<string, unknown>): boolean => {
    const object = e.object as { name?: string; revision?: number } | undefined;
    return (
      (e.type === "ADDED" || e.type === "MODIFIED") &&
      object?.name === name &&
      (object.revision ?? 0) >= revision
    );
  };
