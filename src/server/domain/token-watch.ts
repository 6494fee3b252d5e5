import type { AccessToken, WatchEvent } from "../../api/index.js";
import type { Store } from "./store.js";
import type { Change, TokenRecord } from "./model.js";

export interface WatchScope {
  userId: string;
  /** Only this token (`GET .../access-tokens/{id}?subscribe=true`). */
  tokenId?: string;
}

export interface TokenWatch {
  /** The next event: ADDED for the current state first, then ADDED / MODIFIED / DELETED. */
  next(): Promise<WatchEvent | undefined>;
  close(): void;
}

/** A subscriber this far behind is cut off; it can watch again and get the current state. */
const MAX_PENDING = 10_000;

/**
 * Changes to a user's tokens as watch events, from any replica. Subscribes before reading
 * the current state so nothing falls between the two; revisions keep the events in order
 * without repeats. `toView` renders a record (the HTTP layer's view).
 */
export function watchTokens(
  store: Store,
  scope: WatchScope,
  toView: (t: TokenRecord) => AccessToken,
): TokenWatch {
  const sent = new Map<string, AccessToken>();
  const pending: WatchEvent[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  let work = Promise.resolve();

  const push = (event: WatchEvent): void => {
    if (closed) return;
    pending.push(event);
    if (pending.length > MAX_PENDING) close();
    wake?.();
  };

  const emit = (token: TokenRecord): void => {
    const previous = sent.get(token.id);
    if (previous && previous.revision >= token.revision) return;
    const object = toView(token);
    sent.set(token.id, object);
    push({ type: previous ? "MODIFIED" : "ADDED", object });
  };

  const forget = (id: string): void => {
    const previous = sent.get(id);
    if (!previous) return;
    sent.delete(id);
    push({ type: "DELETED", object: previous });
  };

  const readAll = async (): Promise<TokenRecord[]> => {
    if (scope.tokenId) {
      const token = await store.tokens.get(scope.tokenId);
      return token && token.userId === scope.userId ? [token] : [];
    }
    const all: TokenRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.tokens.list(scope.userId, { limit: 500, cursor });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  };

  const resync = async (): Promise<void> => {
    const current = await readAll();
    const ids = new Set(current.map((t) => t.id));
    for (const id of [...sent.keys()]) if (!ids.has(id)) forget(id);
    for (const token of current) emit(token);
  };

  const apply = async (change: Change): Promise<void> => {
    if (change.entity === "all") return resync();
    if (change.entity === "user" && change.id === scope.userId) {
      for (const id of [...sent.keys()]) forget(id);
      return;
    }
    if (change.entity === "usage") return used(change.id, change.userId, change.lastUsedAt);
    if (change.entity !== "token" || change.userId !== scope.userId) return;
    if (scope.tokenId && change.id !== scope.tokenId) return;
    if (change.op === "delete") return forget(change.id);
    const known = sent.get(change.id);
    if (known && known.revision >= change.revision) return;
    const token = await store.tokens.get(change.id);
    if (token) emit(token);
    else forget(change.id);
  };

  /** A use is not a revision: the watched copy is sent again with the new lastUsedAt. */
  const used = (id: string, userId: string, lastUsedAt: string): void => {
    const known = sent.get(id);
    if (userId !== scope.userId || !known || (known.lastUsedAt !== null && known.lastUsedAt >= lastUsedAt))
      return;
    const object = { ...known, lastUsedAt };
    sent.set(id, object);
    push({ type: "MODIFIED", object });
  };

  const enqueue = (job: () => Promise<void>): void => {
    work = work.then(job).catch(() => close());
  };

  const unsubscribe = store.onChange((change) => enqueue(() => apply(change)));
  enqueue(resync);

  function close(): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    wake?.();
  }

  return {
    async next() {
      while (pending.length === 0 && !closed) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      return pending.shift();
    },
    close,
  };
}
