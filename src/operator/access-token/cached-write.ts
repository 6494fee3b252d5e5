import type { KubeObject, Secret } from "../kube/objects.js";
import { ACCESS_TOKENS, resourcePath } from "../kube/resources.js";
import type { Informer } from "../runtime/informer.js";
import type { ReconcilerDeps } from "./context.js";

/** Expectation keys: the cache and the object a write goes to. */
export const expectationKey = {
  accessToken: (key: string) => `accesstokens|${key}`,
  secret: (key: string) => `secrets|${key}`,
};

export interface WatchedObject {
  informer: Informer<KubeObject> | Informer<Secret>;
  expectation: string;
  key: string;
}

export const accessTokenObject = (d: ReconcilerDeps, key: string): WatchedObject => ({
  informer: d.accessTokens,
  expectation: expectationKey.accessToken(key),
  key,
});

export const secretObject = (d: ReconcilerDeps, key: string): WatchedObject => ({
  informer: d.secrets,
  expectation: expectationKey.secret(key),
  key,
});

export function accessTokenPath(ns: string, name: string, subresource?: string): string {
  return resourcePath(ACCESS_TOKENS, { namespace: ns, name, ...(subresource ? { subresource } : {}) });
}

/**
 * Sends a write to an object the caches watch, so that its watch event is recognised as the
 * operator's own (and a stale cache is not acted on before it arrives). A change by someone
 * else that arrives meanwhile re-queues the AccessToken `at`.
 */
export async function cachedWrite<T extends KubeObject>(
  d: ReconcilerDeps,
  at: string,
  target: WatchedObject,
  send: () => Promise<T>,
): Promise<T> {
  d.expectations.beginWrite(target.expectation);
  let version: string | undefined;
  try {
    const result = await send();
    version = result?.metadata?.resourceVersion;
    return result;
  } finally {
    const cached = target.informer.get(target.key)?.metadata.resourceVersion;
    if (d.expectations.endWrite(target.expectation, version, cached)) d.requeue(at);
  }
}
