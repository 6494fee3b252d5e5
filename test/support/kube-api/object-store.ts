import { deepFreeze, type JsonObject } from "./json.js";
import { nameOf, namespaceOf, uidOf, withMeta } from "./object-meta.js";

export type StoreEventType = "ADDED" | "MODIFIED" | "DELETED";

/** One change, as etcd would report it: the new state and the state before it. */
export interface StoreEvent {
  rv: number;
  storageKey: string;
  type: StoreEventType;
  object: JsonObject;
  prev?: JsonObject;
}

const objectKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * All objects, one global resourceVersion counter, and a bounded history of changes that watches
 * replay and consistent list snapshots are rebuilt from. Stored objects are frozen and shared.
 */
export class ObjectStore {
  private rv: number;
  private compactedRv: number;
  private readonly buckets = new Map<string, Map<string, JsonObject>>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly uids = new Map<string, { storageKey: string; key: string }>();

  constructor(
    private readonly capacity: number,
    startRv = 1000,
  ) {
    this.rv = startRv;
    this.compactedRv = startRv;
  }

  currentRv(): number {
    return this.rv;
  }

  /** Watches and lists from resourceVersions below this get 410 Gone. */
  oldestRv(): number {
    return this.compactedRv;
  }

  private bucket(storageKey: string): Map<string, JsonObject> {
    let b = this.buckets.get(storageKey);
    if (!b) {
      b = new Map();
      this.buckets.set(storageKey, b);
    }
    return b;
  }

  get(storageKey: string, namespace: string, name: string): JsonObject | undefined {
    return this.buckets.get(storageKey)?.get(objectKey(namespace, name));
  }

  list(storageKey: string, namespace?: string): JsonObject[] {
    return sortByKey([...(this.buckets.get(storageKey)?.values() ?? [])], namespace);
  }

  /** The objects as they were at `rv`, or undefined if history no longer reaches back that far. */
  listAt(storageKey: string, rv: number, namespace?: string): JsonObject[] | undefined {
    if (rv < this.compactedRv) return undefined;
    const state = new Map(this.buckets.get(storageKey) ?? []);
    for (let i = this.history.length - 1; i >= 0; i--) {
      const ev = this.history[i];
      if (!ev || ev.rv <= rv) break;
      if (ev.storageKey !== storageKey) continue;
      const key = objectKey(namespaceOf(ev.object), nameOf(ev.object));
      if (ev.type === "ADDED" || !ev.prev) state.delete(key);
      else state.set(key, ev.prev);
    }
    return sortByKey([...state.values()], namespace);
  }

  findByUid(uid: string): { storageKey: string; object: JsonObject } | undefined {
    const ref = this.uids.get(uid);
    const object = ref && this.buckets.get(ref.storageKey)?.get(ref.key);
    return ref && object ? { storageKey: ref.storageKey, object } : undefined;
  }

  *entries(): Generator<{ storageKey: string; object: JsonObject }> {
    for (const [storageKey, bucket] of this.buckets) {
      for (const object of bucket.values()) yield { storageKey, object };
    }
  }

  private stamp(obj: JsonObject): JsonObject {
    this.rv += 1;
    return deepFreeze(withMeta(obj, { resourceVersion: String(this.rv) }));
  }

  create(storageKey: string, obj: JsonObject): JsonObject {
    const stored = this.stamp(obj);
    const key = objectKey(namespaceOf(stored), nameOf(stored));
    this.bucket(storageKey).set(key, stored);
    this.uids.set(uidOf(stored), { storageKey, key });
    this.record({ rv: this.rv, storageKey, type: "ADDED", object: stored });
    return stored;
  }

  update(storageKey: string, obj: JsonObject): JsonObject {
    const key = objectKey(namespaceOf(obj), nameOf(obj));
    const prev = this.bucket(storageKey).get(key);
    const stored = this.stamp(obj);
    this.bucket(storageKey).set(key, stored);
    this.record({ rv: this.rv, storageKey, type: "MODIFIED", object: stored, prev });
    return stored;
  }

  /** Removes the object; the DELETED event carries its last state at the deletion's resourceVersion. */
  delete(storageKey: string, namespace: string, name: string): JsonObject | undefined {
    const key = objectKey(namespace, name);
    const prev = this.buckets.get(storageKey)?.get(key);
    if (!prev) return undefined;
    this.buckets.get(storageKey)?.delete(key);
    this.uids.delete(uidOf(prev));
    const tombstone = this.stamp(prev);
    this.record({ rv: this.rv, storageKey, type: "DELETED", object: tombstone, prev });
    return tombstone;
  }

  /** Events after `rv` for one storage key, or "expired" when history has been compacted past it. */
  eventsAfter(rv: number, storageKey: string): StoreEvent[] | "expired" {
    if (rv < this.compactedRv) return "expired";
    const out: StoreEvent[] = [];
    for (let i = this.history.length - 1; i >= 0; i--) {
      const ev = this.history[i];
      if (!ev || ev.rv <= rv) break;
      if (ev.storageKey === storageKey) out.push(ev);
    }
    return out.reverse();
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets all history, like an etcd compaction: older resourceVersions become 410 Gone. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.capacity) {
      // Drop a tenth at a time so the shift cost is amortized.
      const drop = Math.max(1, Math.floor(this.capacity / 10));
      const dropped = this.history.splice(0, drop);
      const last = dropped[dropped.length - 1];
      if (last) this.compactedRv = last.rv;
    }
    for (const listener of this.listeners) listener(event);
  }
}

function sortByKey(objects: JsonObject[], namespace?: string): JsonObject[] {
  const filtered = namespace ? objects.filter((o) => namespaceOf(o) === namespace) : objects;
  const key = (o: JsonObject): string => objectKey(namespaceOf(o), nameOf(o));
  return filtered.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
