/**
 * What the operator wrote and its caches have not shown yet. After a write, the cache lags
 * behind until the watch delivers that write; a reconcile that ran in between would act on
 * a stale view (e.g. see no Secret and issue the token again). So a key with an unmet
 * expectation is not reconciled: the watch event that meets it queues the key again.
 * Expectations are forgotten after `ttlMs`, in case an event never comes.
 */
export class Expectations {
  private readonly pending = new Map<string, { resourceVersion: string; at: number }>();

  constructor(private readonly ttlMs: number) {}

  /** After writing `key` (e.g. `secrets|shop/storefront`) and getting back `resourceVersion`. */
  expect(key: string, resourceVersion: string | undefined): void {
    if (resourceVersion) this.pending.set(key, { resourceVersion, at: Date.now() });
  }

  /** The cache now holds `resourceVersion` of `key` (or the object is gone: undefined). */
  observe(key: string, resourceVersion: string | undefined): void {
    const entry = this.pending.get(key);
    if (entry && (resourceVersion === undefined || resourceVersion === entry.resourceVersion))
      this.pending.delete(key);
  }

  /** A relist replaced the cache with a consistent view that includes every earlier write. */
  clear(prefix: string): void {
    for (const key of this.pending.keys()) if (key.startsWith(prefix)) this.pending.delete(key);
  }

  satisfied(key: string): boolean {
    const entry = this.pending.get(key);
    if (!entry) return true;
    if (Date.now() - entry.at > this.ttlMs) {
      this.pending.delete(key);
      return true;
    }
    return false;
  }

  get size(): number {
    return this.pending.size;
  }
}
