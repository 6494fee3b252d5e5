import type { Logger } from "pino";
import type { Action } from "../../core/index.js";
import type { Store } from "./store.js";
import { covers, foldPath, type Prefix, pathShape, prefixOf } from "./request-path.js";

interface RouteRule {
  prefix: Prefix;
  /** The prefix decoded and lower-cased, for the second look at paths. */
  folded: Prefix;
  methods: ReadonlySet<string> | undefined;
  /** This rule's answer, built once rather than per request. */
  match: { resource: string };
}

export interface PolicySnapshot {
  /** Longest prefix first, so the most specific rule wins. */
  rules: RouteRule[];
  /** The same, longest folded prefix first. */
  foldedRules: RouteRule[];
  /** Some prefix reads differently decoded or case-folded, so every path gets the second look. */
  cased: boolean;
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

/** The resource a path maps to (undefined: none covers it), or why the path is refused. */
export type RouteMatch = { resource: string | undefined; refused?: undefined } | { refused: string };

const NO_MATCH: RouteMatch = { resource: undefined };

/**
 * The resource registry's routes and the default (anonymous) permissions, held in memory
 * for forward auth. Reloaded when either changes on any replica; a request arriving while
 * a reload runs waits for it, so a change is in force for the next request after it commits.
 */
export function createAccessPolicy(store: Store, log: Logger) {
  let snapshot: PolicySnapshot = { rules: [], foldedRules: [], cased: false, defaults: [] };
  let loading: Promise<void> | undefined;
  let stale = true;

  const load = async (): Promise<void> => {
    stale = false;
    const [resources, defaults] = await Promise.all([
      store.registry.list(),
      store.registry.defaultPermissions(),
    ]);
    const rules = resources.flatMap((r) =>
      r.routes.map((route): RouteRule => {
        const prefix = prefixOf(route.pathPrefix);
        return {
          prefix,
          folded: prefixOf(foldPath(prefix.base) ?? prefix.base.toLowerCase()),
          methods: route.methods ? new Set(route.methods) : undefined,
          match: { resource: r.name },
        };
      }),
    );
    rules.sort((a, b) => b.prefix.base.length - a.prefix.base.length);
    const foldedRules = [...rules].sort((a, b) => b.folded.base.length - a.folded.base.length);
    const cased = rules.some((r) => r.folded.base !== r.prefix.base);
    snapshot = { rules, foldedRules, cased, defaults };
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

function find(
  rules: readonly RouteRule[],
  key: "prefix" | "folded",
  path: string,
  method: string,
): RouteRule | undefined {
  for (const rule of rules)
    if (covers(rule[key], path) && (!rule.methods || rule.methods.has(method))) return rule;
  return undefined;
}

/**
 * The resource an original request's path (and query) maps to, by the longest registered
 * prefix, segment-wise. A path that upstreams could read differently is refused (see
 * `pathShape`), and so is one that maps to another resource once decoded and case-folded:
 * a case-insensitive or decoding upstream would route it there.
 */
export function matchRoute(policy: PolicySnapshot, uri: string, method: string): RouteMatch {
  const query = uri.indexOf("?");
  const path = query === -1 ? uri : uri.slice(0, query);
  const shape = pathShape(path);
  if (typeof shape === "object") return shape;
  const rule = find(policy.rules, "prefix", path, method);
  if (shape === "plain" && !policy.cased) return rule ? rule.match : NO_MATCH;
  const folded = shape === "plain" ? path : foldPath(path);
  if (folded === undefined) return { refused: "percent-encodes bytes that are not UTF-8" };
  const other = find(policy.foldedRules, "folded", folded, method);
  if (other?.match.resource !== rule?.match.resource)
    return { refused: "maps to another resource when percent-decoded or case-folded" };
  return rule ? rule.match : NO_MATCH;
}

export type AccessPolicy = ReturnType<typeof createAccessPolicy>;
