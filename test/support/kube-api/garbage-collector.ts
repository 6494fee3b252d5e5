import { defaultWriteOptions, type ApiContext } from "./api-context.js";
import { deleteObject, FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from "./delete.js";
import { isObject, type Json, type JsonObject } from "./json.js";
import {
  finalizersOf,
  isDeleting,
  nameOf,
  namespaceOf,
  ownerReferencesOf,
  uidOf,
  withMeta,
} from "./object-meta.js";
import type { StoreEvent } from "./object-store.js";
import { toView } from "./object-view.js";
import type { ResourceDef } from "./resource.js";
import { updateObject } from "./update.js";
import { WorkQueue } from "./work-queue.js";

const MANAGER = "generic-garbage-collector";

/** The raw ownerReferences entries whose uid passes `keep`. */
function ownerRefsWhere(view: JsonObject, keep: (uid: string) => boolean): Json[] {
  const refs = isObject(view.metadata) ? view.metadata.ownerReferences : undefined;
  return Array.isArray(refs) ? refs.filter((r) => isObject(r) && keep(String(r.uid))) : [];
}

interface ObjectRef {
  storageKey: string;
  namespace: string;
  name: string;
}

const refKey = (r: ObjectRef): string => JSON.stringify([r.storageKey, r.namespace, r.name]);
const parseRef = (key: string): ObjectRef => {
  const [storageKey, namespace, name] = JSON.parse(key) as [string, string, string];
  return { storageKey, namespace, name };
};

/**
 * The garbage collector: deletes dependents whose owners are gone (background propagation),
 * strips owner references for orphaning deletes, and holds foreground deletes until dependents
 * are gone. Dependents are indexed by owner uid from the store's event stream.
 */
export class GarbageCollector {
  private readonly dependents = new Map<string, Set<string>>();
  readonly queue: WorkQueue;

  constructor(
    private readonly ctx: ApiContext,
    private readonly defFor: (storageKey: string) => ResourceDef | undefined,
    onError: (key: string, err: unknown) => void,
  ) {
    this.queue = new WorkQueue((key) => this.process(parseRef(key)), onError);
  }

  observe(event: StoreEvent): void {
    const ref = {
      storageKey: event.storageKey,
      namespace: namespaceOf(event.object),
      name: nameOf(event.object),
    };
    const key = refKey(ref);
    for (const owner of ownerReferencesOf(event.prev ?? {})) this.dependents.get(owner.uid)?.delete(key);
    if (event.type !== "DELETED") {
      const owners = ownerReferencesOf(event.object);
      for (const owner of owners) {
        let set = this.dependents.get(owner.uid);
        if (!set) this.dependents.set(owner.uid, (set = new Set()));
        set.add(key);
      }
      if (owners.length > 0 || isDeleting(event.object)) this.queue.add(key);
      return;
    }
    // The owner is gone: its dependents need attention, and so do owners waiting on it.
    for (const dep of this.dependents.get(uidOf(event.object)) ?? []) this.queue.add(dep);
    for (const owner of ownerReferencesOf(event.object)) {
      const found = this.ctx.store.findByUid(owner.uid);
      if (found) {
        this.queue.add(
          refKey({
            storageKey: found.storageKey,
            namespace: namespaceOf(found.object),
            name: nameOf(found.object),
          }),
        );
      }
    }
  }

  private current(ref: ObjectRef): { def: ResourceDef; view: JsonObject } | undefined {
    const def = this.defFor(ref.storageKey);
    const stored = this.ctx.store.get(ref.storageKey, ref.namespace, ref.name);
    return def && stored ? { def, view: toView(def, stored) } : undefined;
  }

  private liveDependents(uid: string): ObjectRef[] {
    return [...(this.dependents.get(uid) ?? [])]
      .map(parseRef)
      .filter((r) => this.ctx.store.get(r.storageKey, r.namespace, r.name));
  }

  private update(def: ResourceDef, view: JsonObject): void {
    updateObject(this.ctx, def, namespaceOf(view), nameOf(view), view, "", defaultWriteOptions(MANAGER));
  }

  private process(ref: ObjectRef): void {
    const found = this.current(ref);
    if (!found) return;
    const { def, view } = found;
    if (isDeleting(view)) {
      const finalizers = finalizersOf(view);
      if (finalizers.includes(ORPHAN_FINALIZER)) return this.orphanDependents(def, view);
      if (finalizers.includes(FOREGROUND_FINALIZER)) return this.deleteDependentsFirst(def, view);
    }
    const owners = ownerReferencesOf(view);
    if (owners.length === 0) return;
    const present = owners.filter((o) => this.ctx.store.findByUid(o.uid));
    if (present.length === 0) {
      if (!isDeleting(view)) {
        deleteObject(this.ctx, def, namespaceOf(view), nameOf(view), {
          dryRun: false,
          propagationPolicy: "Background",
        });
      }
      return;
    }
    if (present.length < owners.length) {
      const keep = new Set(present.map((o) => o.uid));
      this.update(def, withMeta(view, { ownerReferences: ownerRefsWhere(view, (uid) => keep.has(uid)) }));
    }
  }

  private orphanDependents(def: ResourceDef, owner: JsonObject): void {
    const uid = uidOf(owner);
    for (const depRef of this.liveDependents(uid)) {
      const dep = this.current(depRef);
      if (!dep) continue;
      const kept = ownerRefsWhere(dep.view, (other) => other !== uid);
      this.update(dep.def, withMeta(dep.view, { ownerReferences: kept.length > 0 ? kept : undefined }));
    }
    this.removeFinalizer(def, owner, ORPHAN_FINALIZER);
  }

  private deleteDependentsFirst(def: ResourceDef, owner: JsonObject): void {
    const live = this.liveDependents(uidOf(owner));
    if (live.length === 0) return this.removeFinalizer(def, owner, FOREGROUND_FINALIZER);
    for (const depRef of live) {
      const dep = this.current(depRef);
      if (dep && !isDeleting(dep.view)) {
        deleteObject(this.ctx, dep.def, depRef.namespace, depRef.name, {
          dryRun: false,
          propagationPolicy: "Background",
        });
      }
    }
  }

  private removeFinalizer(def: ResourceDef, view: JsonObject, finalizer: string): void {
    const rest = finalizersOf(view).filter((f) => f !== finalizer);
    this.update(def, withMeta(view, { finalizers: rest.length > 0 ? rest : undefined }));
  }
}
