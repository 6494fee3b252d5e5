import { matchRoute, type PolicySnapshot, type RouteMatch } from "../domain/access-policy.js";

/** Paths remembered per policy and method; past this the cache starts over (paths are the client's to vary). */
const MAX_PATHS = 4096;

/** Per policy snapshot (a reload makes a new one, so nothing stale is ever answered): method → path → match. */
const cache = new WeakMap<PolicySnapshot, Map<string, Map<string, RouteMatch>>>();

/**
 * `matchRoute`, remembered per path: a proxy asks about the same few paths over and over,
 * and the answer depends only on the policy snapshot, the path and the method.
 */
export function matchRouteCached(policy: PolicySnapshot, uri: string, method: string): RouteMatch {
  const query = uri.indexOf("?");
  const path = query === -1 ? uri : uri.slice(0, query);
  let byMethod = cache.get(policy);
  if (!byMethod) cache.set(policy, (byMethod = new Map<string, Map<string, RouteMatch>>()));
  let byPath = byMethod.get(method);
  if (!byPath) {
    // The method is the client's to choose too: only the ones with an action get a cache.
    if (byMethod.size >= 16) return matchRoute(policy, path, method);
    byMethod.set(method, (byPath = new Map<string, RouteMatch>()));
  }
  let match = byPath.get(path);
  if (!match) {
    match = matchRoute(policy, path, method);
    if (byPath.size >= MAX_PATHS) byPath.clear();
    byPath.set(path, match);
  }
  return match;
}
