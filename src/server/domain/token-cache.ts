/**
 * Verified secrets by hash, so a valid token is checked without a database round trip.
 * Entries are dropped when their token changes anywhere (the store's change feed), and the
 * cache refuses a fill that raced an invalidation, so it never resurrects a revoked token.
 */
export interface TokenCache<V extends { tokenId: string }> {
  get(key: string): V | undefined;
  /** Caches `value` unless an invalidation happened since `epoch` was read. */
  set(key: string, value: V, epoch: number): void;
  epoch(): number;
  invalidateToken(tokenId: string): void;
  clear(): void;
  readonly size: number;
}

export function createTokenCache<V extends { tokenId: string }>(maxEntries: number): TokenCache<V> {
  const byKey = new Map<string, V>();
  // Almost every token has one cached credential: a plain key, a Set only for more.
  const keysByToken = new Map<string, string | Set<string>>();
  let epoch = 0;

  const remove = (key: string): void => {
    const value = byKey.get(key);
    if (!value) return;
    byKey.delete(key);
    const keys = keysByToken.get(value.tokenId);
    if (keys === key) keysByToken.delete(value.tokenId);
    else if (typeof keys === "object") {
      keys.delete(key);
      if (keys.size === 0) keysByToken.delete(value.tokenId);
    }
  };

  return {
    get(key) {
      return byKey.get(key);
    },
    set(key, value, at) {
      if (at !== epoch) return;
      if (byKey.size >= maxEntries && !byKey.has(key)) {
        // Maps iterate in insertion order: drop the oldest fill.
        const oldest = byKey.keys().next().value;
        if (oldest !== undefined) remove(oldest);
      }
      byKey.set(key, value);
      const keys = keysByToken.get(value.tokenId);
      if (keys === undefined || keys === key) keysByToken.set(value.tokenId, key);
      else if (typeof keys === "string") keysByToken.set(value.tokenId, new Set([keys, key]));
      else keys.add(key);
    },
    epoch: () => epoch,
    invalidateToken(tokenId) {
      epoch++;
      const keys = keysByToken.get(tokenId);
      if (typeof keys === "string") byKey.delete(keys);
      else for (const key of keys ?? []) byKey.delete(key);
      keysByToken.delete(tokenId);
    },
    clear() {
      epoch++;
      byKey.clear();
      keysByToken.clear();
    },
    get size() {
      return byKey.size;
    },
  };
}
