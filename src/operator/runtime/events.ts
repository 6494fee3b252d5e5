import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { KubeClient } from "../kube/client.js";
import type { KubeObject } from "../kube/objects.js";
import { EVENTS, resourcePath } from "../kube/resources.js";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  /** Records an event about `obj`, best effort: never throws, never delays the caller. */
  record(obj: KubeObject, type: EventType, reason: string, message: string): void;
  /** Resolves once every event sent so far has been written (or failed). */
  flush(): Promise<void>;
}

const COMPONENT = "tokenplane-operator";
const MAX_MESSAGE = 1024;
const MAX_REMEMBERED = 50_000;

interface Seen {
  name: string;
  namespace: string;
  count: number;
  lastWriteAt: number;
  lastSeenAt: number;
}

/**
 * An Event's name is the object's plus a random suffix, and must be a DNS subdomain of at
 * most 253 characters: a long object name is shortened (a name of 253 characters is valid,
 * and its Events would all be refused).
 */
function namePrefix(name: string): string {
  return name.slice(0, 253 - 17).replace(/[-.]+$/, "");
}

/**
 * core/v1 Events with client-go's correlation: an event identical to one recorded in the last
 * `aggregateMs` (same object, type, reason and message) bumps that event's count instead of
 * creating another, and such bumps are written at most once per `patchIntervalMs` — so a
 * failing reconcile retrying with backoff does not flood the API server.
 */
export function createEventRecorder(deps: {
  client: KubeClient;
  log: Logger;
  instance: string;
  now?: () => number;
  aggregateMs?: number;
  patchIntervalMs?: number;
}): EventRecorder {
  const { client, log, instance } = deps;
  const now = deps.now ?? Date.now;
  const aggregateMs = deps.aggregateMs ?? 10 * 60_000;
  const patchIntervalMs = deps.patchIntervalMs ?? 60_000;
  const seen = new Map<string, Seen>();
  const inFlight = new Set<Promise<void>>();

  // Forget events older than the aggregation window, at most once a minute (a sweep per event
  // would cost O(n) each with many AccessTokens); the cap bounds memory in between.
  let sweptAt = now();
  const sweep = (at: number): void => {
    if (at - sweptAt < 60_000 && seen.size < MAX_REMEMBERED) return;
    sweptAt = at;
    for (const [key, entry] of seen) if (at - entry.lastSeenAt > aggregateMs) seen.delete(key);
    // Still too many: drop the oldest (a Map iterates in insertion order).
    for (const key of seen.keys()) {
      if (seen.size < MAX_REMEMBERED) break;
      seen.delete(key);
    }
  };

  const track = (work: Promise<void>): void => {
    const p = work.catch((err: unknown) => {
      log.debug({ err: (err as Error).message }, "could not write an event");
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  return {
    record(obj, type, reason, message) {
      const at = now();
      sweep(at);
      const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
      const uid = obj.metadata.uid ?? "";
      const key = `${uid}|${type}|${reason}|${text}`;
      const previous = seen.get(key);
      const stamp = new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
      if (previous && at - previous.lastSeenAt <= aggregateMs) {
        previous.count++;
        previous.lastSeenAt = at;
        if (at - previous.lastWriteAt < patchIntervalMs) return;
        previous.lastWriteAt = at;
        const { name, namespace, count } = previous;
        track(
          client
            .mergePatch(resourcePath(EVENTS, { namespace, name }), { count, lastTimestamp: stamp })
            .then(() => undefined),
        );
        return;
      }
      const namespace = obj.metadata.namespace || "default";
      const name = `${namePrefix(obj.metadata.name)}.${randomBytes(8).toString("hex")}`;
      seen.set(key, { name, namespace, count: 1, lastWriteAt: at, lastSeenAt: at });
      track(
        client
          .create(resourcePath(EVENTS, { namespace }), {
            apiVersion: "v1",
            kind: "Event",
            metadata: { name, namespace },
            involvedObject: {
              apiVersion: obj.apiVersion,
              kind: obj.kind,
              name: obj.metadata.name,
              ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
              uid,
              resourceVersion: obj.metadata.resourceVersion,
            },
            type,
            reason,
            message: text,
            source: { component: COMPONENT },
            reportingComponent: COMPONENT,
            reportingInstance: instance,
            firstTimestamp: stamp,
            lastTimestamp: stamp,
            count: 1,
          })
          .then(() => undefined),
      );
    },
    async flush() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
