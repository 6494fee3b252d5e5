import { defaultWriteOptions, type ApiContext } from "./api-context.js";
import { CRD_CLEANUP_FINALIZER, customResourceDefs, establishedStatus, namesOf, specOf } from "./crd.js";
import { deleteObject } from "./delete.js";
import { isObject, type JsonObject } from "./json.js";
import { finalizersOf, isDeleting, nameOf, namespaceOf, withMeta } from "./object-meta.js";
import type { StoreEvent } from "./object-store.js";
import { toView } from "./object-view.js";
import type { ResourceDef, ResourceRegistry } from "./resource.js";
import { updateObject } from "./update.js";
import { WorkQueue } from "./work-queue.js";

export const CRD_STORAGE_KEY = "apiextensions.k8s.io/customresourcedefinitions";
const MANAGER = "kube-apiserver";

/**
 * CustomResourceDefinition lifecycle: serving starts the moment a CRD is stored (so the next
 * request already works), the Established/NamesAccepted conditions follow in the background,
 * and deleting a CRD deletes all its objects before the CRD itself goes and serving stops.
 */
export class CrdController {
  readonly queue: WorkQueue;

  constructor(
    private readonly ctx: ApiContext,
    private readonly registry: ResourceRegistry,
    private readonly crdDef: () => ResourceDef,
    private readonly onRemoved: (storageKey: string) => void,
    onError: (key: string, err: unknown) => void,
  ) {
    this.queue = new WorkQueue((name) => this.process(name), onError);
  }

  /** Synchronous on purpose: resources are served as soon as the CRD write returns. */
  observe(event: StoreEvent): void {
    if (event.storageKey !== CRD_STORAGE_KEY) return;
    const crd = event.object;
    const spec = specOf(crd);
    const group = typeof spec.group === "string" ? spec.group : "";
    const previous = event.prev ? namesOf(event.prev).plural : undefined;
    if (previous) this.registry.remove(group, previous);
    if (event.type === "DELETED") {
      this.onRemoved(`${group}/${namesOf(crd).plural}`);
      return;
    }
    for (const def of customResourceDefs(crd)) this.registry.add(def);
    this.queue.add(nameOf(crd));
  }

  private process(name: string): void {
    const stored = this.ctx.store.get(CRD_STORAGE_KEY, "", name);
    if (!stored) return;
    const def = this.crdDef();
    const crd = toView(def, stored);
    if (isDeleting(crd)) return this.cleanUp(def, crd);
    const conditions =
      isObject(crd.status) && Array.isArray(crd.status.conditions) ? crd.status.conditions : [];
    const established = conditions.some(
      (c) => isObject(c) && c.type === "Established" && c.status === "True",
    );
    if (!established) {
      const next: JsonObject = { ...crd, status: establishedStatus(crd, this.ctx.now()) };
      updateObject(this.ctx, def, "", name, next, "status", defaultWriteOptions(MANAGER));
    }
  }

  private cleanUp(def: ResourceDef, crd: JsonObject): void {
    const spec = specOf(crd);
    const storageKey = `${String(spec.group)}/${namesOf(crd).plural}`;
    const crDef = this.registry.all().find((d) => d.storageKey === storageKey);
    const remaining = [...this.ctx.store.entries()].filter((e) => e.storageKey === storageKey);
    for (const { object } of remaining) {
      if (crDef && !isDeleting(object)) {
        deleteObject(this.ctx, crDef, namespaceOf(object), nameOf(object), { dryRun: false });
      }
    }
    if (remaining.length > 0) return;
    const finalizers = finalizersOf(crd).filter((f) => f !== CRD_CLEANUP_FINALIZER);
    updateObject(
      this.ctx,
      def,
      "",
      nameOf(crd),
      withMeta(crd, { finalizers: finalizers.length > 0 ? finalizers : undefined }),
      "",
      defaultWriteOptions(MANAGER),
    );
  }

  /** Called when a custom resource object is deleted: a terminating CRD may now be able to go. */
  objectDeleted(storageKey: string): void {
    for (const crd of this.ctx.store.list(CRD_STORAGE_KEY)) {
      const spec = specOf(crd);
      if (`${String(spec.group)}/${namesOf(crd).plural}` === storageKey && isDeleting(crd))
        this.queue.add(nameOf(crd));
    }
  }
}
