import type { ApiContext } from "./api-context.js";
import { deleteObject } from "./delete.js";
import { isDeleting, nameOf, namespaceOf } from "./object-meta.js";
import type { StoreEvent } from "./object-store.js";
import type { ResourceDef } from "./resource.js";
import { WorkQueue } from "./work-queue.js";

/**
 * Namespace lifecycle: a deleted namespace is Terminating until everything in it is gone (objects
 * with finalizers keep it waiting), then it disappears.
 */
export class NamespaceController {
  readonly queue: WorkQueue;

  constructor(
    private readonly ctx: ApiContext,
    private readonly namespacedDefs: () => ResourceDef[],
    onError: (key: string, err: unknown) => void,
  ) {
    this.queue = new WorkQueue((ns) => this.process(ns), onError);
  }

  observe(event: StoreEvent): void {
    if (event.storageKey === "/namespaces") {
      if (event.type !== "DELETED" && isDeleting(event.object)) this.queue.add(nameOf(event.object));
      return;
    }
    const ns = namespaceOf(event.object);
    if (event.type === "DELETED" && ns) {
      const namespace = this.ctx.store.get("/namespaces", "", ns);
      if (namespace && isDeleting(namespace)) this.queue.add(ns);
    }
  }

  private process(namespace: string): void {
    const ns = this.ctx.store.get("/namespaces", "", namespace);
    if (!ns || !isDeleting(ns)) return;
    const seen = new Set<string>();
    let remaining = 0;
    for (const def of this.namespacedDefs()) {
      if (seen.has(def.storageKey)) continue;
      seen.add(def.storageKey);
      for (const obj of this.ctx.store.list(def.storageKey, namespace)) {
        remaining++;
        if (!isDeleting(obj)) {
          deleteObject(this.ctx, def, namespace, nameOf(obj), {
            dryRun: false,
            propagationPolicy: "Background",
          });
        }
      }
    }
    if (remaining === 0) this.ctx.store.delete("/namespaces", "", namespace);
  }
}
