import { defaultWriteOptions, type ApiContext } from "./api-context.js";
import { builtinResources } from "./builtin-resources.js";
import { createObject } from "./create.js";
import { CrdController, CRD_STORAGE_KEY } from "./crd-controller.js";
import { GarbageCollector } from "./garbage-collector.js";
import { NamespaceController } from "./namespace-controller.js";
import { nowTimestamp } from "./object-meta.js";
import { ObjectStore } from "./object-store.js";
import { ResourceRegistry, type ResourceDef } from "./resource.js";
import { WatchHub } from "./watch-hub.js";

export const INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/**
 * The in-memory cluster: store, served resources, open watches, and the background controllers
 * (garbage collector, namespace and CRD lifecycle) that react to the store's changes.
 */
export class Cluster implements ApiContext {
  readonly store: ObjectStore;
  readonly registry = new ResourceRegistry();
  readonly watches: WatchHub;
  /** Errors background controllers ran into; kept for debugging, never thrown at clients. */
  readonly backgroundErrors: { key: string; error: unknown }[] = [];
  private readonly controllers: { queue: { busy: boolean; idle(): Promise<void> } }[];

  constructor(opts: { historyLimit: number; bookmarkIntervalMs: number }) {
    this.store = new ObjectStore(opts.historyLimit);
    for (const def of builtinResources()) this.registry.add(def);
    this.watches = new WatchHub(this.store, opts.bookmarkIntervalMs);
    const onError = (key: string, error: unknown): void => {
      this.backgroundErrors.push({ key, error });
    };
    const gc = new GarbageCollector(this, (key) => this.defForStorage(key), onError);
    const namespaces = new NamespaceController(
      this,
      () => this.registry.all().filter((d) => d.namespaced),
      onError,
    );
    const crds = new CrdController(
      this,
      this.registry,
      () => this.defForStorage(CRD_STORAGE_KEY) as ResourceDef,
      (storageKey) => this.watches.dropResource(storageKey),
      onError,
    );
    this.controllers = [gc, namespaces, crds];
    this.store.subscribe((event) => {
      crds.observe(event);
      gc.observe(event);
      namespaces.observe(event);
      if (event.type === "DELETED") crds.objectDeleted(event.storageKey);
    });
    for (const name of INITIAL_NAMESPACES) {
      createObject(
        this,
        this.namespaceDef(),
        "",
        { metadata: { name } },
        defaultWriteOptions("kube-apiserver"),
      );
    }
  }

  now(): string {
    return nowTimestamp();
  }

  private namespaceDef(): ResourceDef {
    return this.registry.lookup("", "v1", "namespaces") as ResourceDef;
  }

  /** The resource that presents stored objects as they are stored (no conversion). */
  defForStorage(storageKey: string): ResourceDef | undefined {
    const defs = this.registry.all().filter((d) => d.storageKey === storageKey);
    return defs.find((d) => !d.strategy.fromStorage) ?? defs[0];
  }

  /** Resolves once no background controller has work queued. */
  async settle(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      const busy = this.controllers.filter((c) => c.queue.busy);
      if (busy.length === 0) return;
      await Promise.all(busy.map((c) => c.queue.idle()));
    }
  }
}
