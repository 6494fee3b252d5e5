/**
 * What the operator wrote and its caches have not shown yet. After a write, the cache lags
 * behind until the watch delivers that write; a reconcile that ran in between would act on
 * a stale view (e.g. see no Secret and issue the token again). So a key with unmet
 * expectations is not reconciled, and the watch events of the operator's own writes are
 * recognised as such: they need no reconcile. An event can also arrive before the write's
 * response does; events for a key with a write in flight are held until the response says
 * whether they were the write. Expectations are forgotten after `ttlMs`, in case an event
 * never comes.
 */
export type Observed = "own" | "held" | "other";

const GONE = "\u0000gone";

export class Expectations {
  private readonly pending = new Map<string, { versions: Set<string>; at: number }>();
  private readonly flights = new Map<string, { count: number; seen: Set<string> }>();

  constructor(private readonly ttlMs: number) {}

  /** A write to `key` (e.g. `secrets|shop/storefront`) is about to be sent. */
  beginWrite(key: string): void {
    const flight = this.flights.get(key);
    if (flight) flight.count++;
    else this.flights.set(key, { count: 1, seen: new Set() });
  }

  /**
   * The write's response came back with `resourceVersion` (undefined: it failed; `cachedVersion`
   * is what the cache holds now). True when
   * events that were not this write arrived meanwhile: the object changed under the writer.
   */
  endWrite(key: string, resourceVersion: string | undefined, cachedVersion?: string): boolean {
    const flight = this.flights.get(key);
    if (!flight) return false;
    // A write that changed nothing keeps the version the cache has, and sends no event; and
    // once the object is gone (e.g. this write removed its last finalizer), no event will come.
    if (
      resourceVersion !== undefined &&
      !flight.seen.delete(resourceVersion) &&
      resourceVersion !== cachedVersion &&
      !flight.seen.has(GONE)
    )
      this.expect(key, resourceVersion);
    if (--flight.count > 0) return false;
    this.flights.delete(key);
    return flight.seen.size > 0;
  }

  /** After writing `key` and getting back `resourceVersion`, with no event for it yet. */
  expect(key: string, resourceVersion: string | undefined): void {
    if (!resourceVersion) return;
    const entry = this.pending.get(key);
    if (entry) {
      entry.versions.add(resourceVersion);
      entry.at = Date.now();
    } else this.pending.set(key, { versions: new Set([resourceVersion]), at: Date.now() });
  }

  /** The cache now holds `resourceVersion` of `key` (undefined: the object is gone). */
  observe(key: string, resourceVersion: string | undefined): Observed {
    const entry = this.pending.get(key);
    if (entry && resourceVersion !== undefined && entry.versions.delete(resourceVersion)) {
      // An earlier write's event (perhaps while a later write is in flight).
      if (entry.versions.size === 0) this.pending.delete(key);
      return "own";
    }
    // Gone: nothing the operator wrote to it will be seen any more.
    if (entry && resourceVersion === undefined) this.pending.delete(key);
    const flight = this.flights.get(key);
    if (flight) {
      flight.seen.add(resourceVersion ?? GONE);
      return "held";
    }
    return "other";
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
