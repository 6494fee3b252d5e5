import type { Logger } from "pino";
import type { Action } from "../../core/index.js";
import type { Store } from "../store/store.js";
import { normalizePath, underPrefix } from "./request-path.js";

interface RouteRule {
  prefix: string;
  methods: ReadonlySet<string> | undefined;
  resource: string;
}

export interface PolicySnapshot {
  /** Longest prefix first, so the most specific rule wins. */
  rules: RouteRule[];
  defaults: readonly string[];
}

export const METHOD_ACTIONS: Readonly<Record<string, Action>> = {
  GET: "read",
  HEAD: "read",
  POST: "create",
  PUT: "update",
  PATCH: "update",
  DELETE: "delete",
};

export type RouteMatch =
  { resource: string; path: string } | { resource: undefined; path: string | undefined };

/**
 * The resource registry's routes and the default (anonymous) permissions, held in memory
 * for forward auth. Reloaded when either changes on any replica; a request arriving while
 * a reload runs waits for it, so a change is in force for the next request after it commits.
 */
export function createAccessPolicy(store: Store, log: Logger) {
  let snapshot: PolicySnapshot = { rules: [], defaults: [] };
  let loading: Promise<void> | undefined;
  let stale = true;

  const load = async (): Promise<void> => {
    stale = false;
    const [resources, defaults] = await Promise.all([
      store.registry.list(),
      store.registry.defaultPermissions(),
    ]);
    const rules = resources.flatMap((r) =>
      r.routes.map((route) => ({
        prefix: route.pathPrefix,
        methods: route.methods ? new Set(route.methods) : undefined,
        resource: r.name,
      })),
    );
    rules.sort((a, b) => b.prefix.length - a.prefix.length);
    snapshot = { rules, defaults };
  };

  const refresh = (): Promise<void> => {
    loading ??= load()
      .catch((err: unknown) => {
        stale = true;
        log.warn({ err: (err as Error).message }, "could not load the access policy; will retry");
        throw err;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  const unsubscribe = store.onChange((change) => {
    if (change.entity === "resources" || change.entity === "settings" || change.entity === "all") {
      stale = true;
      void refresh().catch(() => undefined);
    }
  });

  /** The policy in force: synchronous unless a reload is running (then wait for it). */
  function current(): PolicySnapshot | Promise<PolicySnapshot> {
    if (!loading && !stale) return snapshot;
    return (async () => {
      if (loading) await loading;
      if (stale) await refresh();
      return snapshot;
    })();
  }

  return {
    current,
    close: unsubscribe,
  };
}

/** The resource a request's path maps to, by the longest registered prefix. */
export function matchRoute(policy: PolicySnapshot, rawPath: string, method: string): RouteMatch {
  const path = normalizePath(rawPath);
  if (path === undefined) return { resource: undefined, path };
  const rule = policy.rules.find((r) => underPrefix(path, r.prefix) && (!r.methods || r.methods.has(method)));
  return rule ? { resource: rule.resource, path } : { resource: undefined, path };
}

export type AccessPolicy = ReturnType<typeof createAccessPolicy>;
