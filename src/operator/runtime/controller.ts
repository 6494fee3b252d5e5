import type { Logger } from "pino";
import { retryAfterMs } from "../kube/client.js";
import { type KubeObject, objectKey } from "../kube/objects.js";
import type { Change, Informer } from "./informer.js";
import { WorkQueue } from "./work-queue.js";

/*
 * One controller: its own work queue of its own keys (object keys, `namespace/name` or
 * `name`), the watches that fill it, and workers that hand each key to its reconcile and act
 * on the result (backoff, requeue, metrics). Its queue runs only while the manager runs it
 * (while this replica leads); the watches are wired at once, so their side effects (indexes)
 * keep up on every replica.
 */

/** A watch: each change of one informer becomes zero or more of the controller's keys. */
export interface Watch {
  subscribe(enqueue: (key: string) => void): void;
}

/** Watches `informer`; `keys` maps a change to the keys to reconcile (none: nothing to do). */
export function watch<T extends KubeObject>(
  informer: Informer<T>,
  keys: (change: Change<T>) => Iterable<string>,
): Watch {
  return {
    subscribe: (enqueue) =>
      informer.onChange((change) => {
        for (const key of keys(change)) enqueue(key);
      }),
  };
}

/** A change's own key, the usual mapping of a controller's primary resource. */
export const ownKey = (change: Change<KubeObject>): string[] => [objectKey(change.object.metadata)];

export type ReconcileResult =
  /** Reconciled; looked at again after `requeueAfterMs` when set (e.g. at a renewal time). */
  | { result: "success"; requeueAfterMs?: number }
  /** Waiting for something a watch event will bring; looked at again after `requeueAfterMs` at the latest. */
  | { result: "waiting"; requeueAfterMs: number }
  /** Failed: retried with the key's backoff, and not before `retryAfterMs`. */
  | { result: "error"; reason: string; message: string; retryAfterMs?: number };

export interface ControllerDefinition {
  /** The `controller` label of its metrics (AccessToken, TokenServer...). */
  name: string;
  /** The objects it reconciles: each one's key is queued when it starts and at every resync. */
  primary: { list(): readonly KubeObject[] };
  watches: readonly Watch[];
  reconcile(key: string): Promise<ReconcileResult>;
  /** The log field naming the key of a failed reconcile (default `key`). */
  logField?: string;
  /** Concurrent reconciles (default: the manager's). */
  workers?: number;
}

/** The metrics a controller keeps, by its name (prom-client's counters and histogram fit). */
export interface ReconcileMetrics {
  reconciles: { inc(labels: { controller: string; result: string }): void };
  reconcileErrors: { inc(labels: { controller: string; reason: string }): void };
  reconcileDuration: { startTimer(labels: { controller: string }): () => unknown };
}

export interface RunOptions {
  log: Logger;
  metrics: ReconcileMetrics;
  backoffBaseMs: number;
  backoffMaxMs: number;
  workers: number;
}

/** What the rest of the operator may do with a registered controller. */
export interface Controller {
  readonly name: string;
  /** Queues `key` (ignored while the controller does not run). */
  enqueue(key: string): void;
  /** Drops the key's pending delayed requeue and backoff (its object is gone). */
  cancel(key: string): void;
}

/** A registered controller as the manager drives it. */
export interface ControllerRunner extends Controller {
  readonly depth: number;
  readonly delayed: number;
  /** Starts the queue and the workers, and queues every primary object. */
  start(): void;
  /** Queues every primary object again. */
  resync(): void;
  /** Stops handing out keys and waits for in-flight reconciles. */
  stop(): Promise<void>;
  /** Stops at once, in-flight reconciles abandoned. */
  abandon(): void;
}

export function createControllerRunner(def: ControllerDefinition, o: RunOptions): ControllerRunner {
  const { name } = def;
  const logField = def.logField ?? "key";
  let queue: WorkQueue | undefined;
  let workers: Promise<void>[] = [];

  const settle = (q: WorkQueue, key: string, r: ReconcileResult): void => {
    if (r.result === "waiting") {
      q.addAfter(key, r.requeueAfterMs);
      o.metrics.reconciles.inc({ controller: name, result: "waiting" });
    } else if (r.result === "error") {
      const delay = q.addRateLimited(key, r.retryAfterMs);
      o.metrics.reconciles.inc({ controller: name, result: "error" });
      o.metrics.reconcileErrors.inc({ controller: name, reason: r.reason });
      o.log.warn({ [logField]: key, reason: r.reason, err: r.message, retryInMs: delay }, "reconcile failed");
    } else {
      q.forget(key);
      o.metrics.reconciles.inc({ controller: name, result: "success" });
      if (r.requeueAfterMs !== undefined) q.addAfter(key, r.requeueAfterMs);
    }
  };

  const work = async (q: WorkQueue): Promise<void> => {
    for (;;) {
      const key = await q.get();
      if (key === undefined) return;
      const stopTimer = o.metrics.reconcileDuration.startTimer({ controller: name });
      try {
        settle(q, key, await def.reconcile(key));
      } catch (err) {
        const delay = q.addRateLimited(key, retryAfterMs(err));
        o.metrics.reconciles.inc({ controller: name, result: "error" });
        o.metrics.reconcileErrors.inc({ controller: name, reason: "Unexpected" });
        o.log.error({ controller: name, key, err, retryInMs: delay }, "reconcile failed unexpectedly");
      } finally {
        stopTimer();
        q.done(key);
      }
    }
  };

  const runner: ControllerRunner = {
    name,
    get depth() {
      return queue?.depth ?? 0;
    },
    get delayed() {
      return queue?.delayed ?? 0;
    },
    enqueue: (key) => queue?.add(key),
    cancel: (key) => queue?.cancel(key),
    resync() {
      for (const obj of def.primary.list()) queue?.add(objectKey(obj.metadata));
    },
    start() {
      if (queue) return;
      const q = new WorkQueue({ backoffBaseMs: o.backoffBaseMs, backoffMaxMs: o.backoffMaxMs });
      queue = q;
      runner.resync();
      workers = Array.from({ length: def.workers ?? o.workers }, () => work(q));
    },
    async stop() {
      const q = queue;
      queue = undefined;
      q?.shutDown();
      await Promise.all(workers);
      workers = [];
    },
    abandon() {
      queue?.shutDown();
      queue = undefined;
      workers = [];
    },
  };
  for (const w of def.watches) w.subscribe((key) => runner.enqueue(key));
  return runner;
}
