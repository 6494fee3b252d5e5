import type { Logger } from "pino";
import { backoffDelay, sleep } from "./backoff.js";
import type { ApiFailureLog } from "../kube/api-failure-log.js";
import {
  isGone,
  KubeError,
  type KubeClient,
  type KubeStatus,
  retryAfterMs,
  type WatchEvent,
} from "../kube/client.js";
import { type KubeObject, type ListResponse, objectKey } from "../kube/objects.js";
import { resourcePath, type ResourceType } from "../kube/resources.js";

export interface InformerTiming {
  /** Asked of the server per watch; it ends the watch cleanly after this (client-go: 5-10 min). */
  watchTimeoutSeconds: number;
  /** A watch with no event and no bookmark for this long is considered dead and restarted. */
  silenceMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  pageSize: number;
}

export const DEFAULT_INFORMER_TIMING: InformerTiming = {
  watchTimeoutSeconds: 300,
  silenceMs: 150_000,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  pageSize: 500,
};

export type ChangeType = "added" | "updated" | "deleted";
export interface Change<T> {
  type: ChangeType;
  object: T;
  /** The cached object it replaced (updated) or the last known state (deleted). */
  old?: T;
}

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  resource: ResourceType;
  /** Only this namespace; all when undefined. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  log: Logger;
  timing?: Partial<InformerTiming>;
  /** Applied to every object before it is cached (e.g. dropping managedFields). */
  transform?: (obj: KubeObject) => T;
  /** Called with the reason each time the watch is restarted or the cache relisted. */
  onRestart?: (reason: "relist" | "closed" | "silent" | "error") => void;
  /** Shared with the other caches, so an outage or missing CRDs are said once, not per cache. */
  failures?: ApiFailureLog;
}

/**
 * A supervised list + watch cache of one resource. Unlike client-node's informer it never
 * stops by itself: a watch that ends is resumed from the last resourceVersion, one that fails
 * is retried with backoff, one that goes silent (no event or bookmark within `silenceMs`) is
 * aborted and resumed, and a 410 Gone relists (turning the difference into change events).
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: ((change: Change<T>) => void)[] = [];
  private readonly relistHandlers: (() => void)[] = [];
  private readonly timing: InformerTiming;
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;
  private hasSynced = false;
  private syncWaiters: (() => void)[] = [];
  private currentRv: string | undefined;

  constructor(private readonly options: InformerOptions<T>) {
    this.timing = { ...DEFAULT_INFORMER_TIMING, ...options.timing };
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  get resourceVersion(): string | undefined {
    return this.currentRv;
  }

  get name(): string {
    const r = this.options.resource;
    return r.group ? `${r.plural}.${r.group}` : r.plural;
  }

  onChange(handler: (change: Change<T>) => void): void {
    this.handlers.push(handler);
  }

  /** After every relist (the cache was replaced by a fresh, consistent list). */
  onRelist(handler: () => void): void {
    this.relistHandlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get size(): number {
    return this.cache.size;
  }

  whenSynced(): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  private emit(change: Change<T>): void {
    for (const handler of this.handlers) {
      try {
        handler(change);
      } catch (err) {
        this.options.log.error({ err, informer: this.name }, "change handler failed");
      }
    }
  }

  private transform(obj: KubeObject): T {
    return this.options.transform ? this.options.transform(obj) : (obj as T);
  }

  private selectors() {
    return {
      labelSelector: this.options.labelSelector,
      fieldSelector: this.options.fieldSelector,
    };
  }

  private async run(): Promise<void> {
    const { log } = this.options;
    const signal = this.stopper.signal;
    let failures = 0;
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          rv = await this.relist(signal);
          this.currentRv = rv;
        }
        const outcome = await this.watchOnce(rv, signal, (next) => {
          rv = next;
          this.currentRv = next;
          failures = 0;
        });
        if (signal.aborted) break;
        this.options.onRestart?.(outcome);
        if (outcome === "silent") log.warn({ informer: this.name }, "watch went silent; restarting it");
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          log.info({ informer: this.name }, "resourceVersion too old (410); relisting");
          this.options.onRestart?.("relist");
          rv = undefined;
          continue;
        }
        this.options.onRestart?.("error");
        // Not sooner than the API server asked (429 and Retry-After: it is shedding load).
        const delay = Math.max(
          retryAfterMs(err) ?? 0,
          backoffDelay(failures++, this.timing.backoffBaseMs, this.timing.backoffMaxMs),
        );
        if (this.options.failures) this.options.failures.failed(this.name, err, delay);
        else
          log.warn(
            { informer: this.name, err: (err as Error).message, retryInMs: delay },
            "list/watch failed; retrying",
          );
        await sleep(delay, signal);
      }
    }
  }

  /** Lists every page (one consistent snapshot) and replaces the cache; returns its resourceVersion. */
  private async relist(signal: AbortSignal): Promise<string> {
    const { client, resource, namespace } = this.options;
    const path = resourcePath(resource, { namespace });
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await client.request<ListResponse>("GET", path, {
        query: { ...this.selectors(), limit: this.timing.pageSize, continue: cont },
        signal,
      });
      for (const item of page.items) {
        if (!this.usable(item)) continue;
        const obj = this.transform(item);
        fresh.set(objectKey(obj.metadata), obj);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? "";
    } while (cont);

    const old = new Map(this.cache);
    this.cache.clear();
    for (const [key, obj] of fresh) this.cache.set(key, obj);
    for (const [key, obj] of fresh) {
      const before = old.get(key);
      if (!before) this.emit({ type: "added", object: obj });
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion)
        this.emit({ type: "updated", object: obj, old: before });
    }
    for (const [key, obj] of old) if (!fresh.has(key)) this.emit({ type: "deleted", object: obj, old: obj });
    this.options.failures?.succeeded(this.name);
    for (const handler of this.relistHandlers) handler();
    if (!this.hasSynced) {
      this.hasSynced = true;
      for (const wake of this.syncWaiters.splice(0)) wake();
    }
    return rv;
  }

  /** One watch from `rv`: "closed" when the server ended it, "silent" when the watchdog did. */
  private async watchOnce(
    rv: string,
    signal: AbortSignal,
    advance: (rv: string) => void,
  ): Promise<"closed" | "silent"> {
    const { client, resource, namespace } = this.options;
    const abort = new AbortController();
    const onStop = () => abort.abort();
    signal.addEventListener("abort", onStop, { once: true });
    let silent = false;
    let watchdog: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        silent = true;
        abort.abort();
      }, this.timing.silenceMs);
    };
    // Spread the server-side timeouts so many watches do not restart together.
    const timeoutSeconds = Math.round(this.timing.watchTimeoutSeconds * (1 + Math.random()));
    let failure: Error | undefined;
    touch();
    try {
      await client.watch(
        resourcePath(resource, { namespace }),
        { ...this.selectors(), resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds },
        (event) => {
          if (failure) return;
          touch();
          this.options.failures?.succeeded(this.name);
          failure = this.apply(event as WatchEvent<KubeObject>, advance);
          if (failure) abort.abort();
        },
        abort.signal,
      );
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener("abort", onStop);
    }
    if (failure) throw failure;
    return silent ? "silent" : "closed";
  }

  /**
   * Whether an object has the metadata the cache keys by. An API server always sends it; an
   * object without it is skipped (and said so), never allowed to stop the cache: a watch that
   * failed on it would resume before it and fail again, for ever.
   */
  private usable(obj: unknown): obj is KubeObject {
    const meta = (obj as { metadata?: unknown } | null)?.metadata as
      { name?: unknown; namespace?: unknown } | null | undefined;
    const ok =
      typeof meta === "object" &&
      meta !== null &&
      typeof meta.name === "string" &&
      meta.name !== "" &&
      (meta.namespace === undefined || typeof meta.namespace === "string");
    if (!ok) this.options.log.warn({ informer: this.name }, "skipping an object without usable metadata");
    return ok;
  }

  /** Applies one watch event to the cache; returns the error an ERROR event carries. */
  private apply(event: WatchEvent<KubeObject>, advance: (rv: string) => void): Error | undefined {
    if (typeof event !== "object" || event === null) {
      this.options.log.warn({ informer: this.name }, "skipping a watch event that is not an object");
      return undefined;
    }
    if (event.type === "ERROR") {
      const status = (event.object ?? {}) as unknown as KubeStatus;
      return new KubeError(status.code ?? 500, status.reason ?? "Unknown", status.message ?? "watch error");
    }
    const rv = (event.object as Partial<KubeObject> | null)?.metadata?.resourceVersion;
    if (event.type === "BOOKMARK") {
      if (typeof rv === "string" && rv) advance(rv);
      return undefined;
    }
    if (event.type !== "ADDED" && event.type !== "MODIFIED" && event.type !== "DELETED") {
      this.options.log.warn(
        { informer: this.name, type: typeof event.type === "string" ? event.type : typeof event.type },
        "skipping a watch event of unknown type",
      );
      return undefined;
    }
    if (!this.usable(event.object)) return undefined;
    const obj = this.transform(event.object);
    const key = objectKey(obj.metadata);
    const before = this.cache.get(key);
    if (event.type === "DELETED") {
      this.cache.delete(key);
      this.emit({ type: "deleted", object: obj, old: before ?? obj });
    } else {
      this.cache.set(key, obj);
      this.emit(before ? { type: "updated", object: obj, old: before } : { type: "added", object: obj });
    }
    if (rv) advance(rv);
    return undefined;
  }
}

/** Drops what the operator never reads (managedFields are often the largest part of an object). */
export function withoutManagedFields<T extends KubeObject>(obj: KubeObject): T {
  if (!obj.metadata?.managedFields) return obj as T;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata } as T;
}
