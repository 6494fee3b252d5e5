import type { Logger } from "pino";
import { type ApiFailureLog, INSTALL_CRDS_HINT } from "./kube/api-failure-log.js";
import type { KubeClient } from "./kube/client.js";
import type { KubeObject, Secret } from "./kube/objects.js";
import {
  ACCESS_TOKENS,
  CLUSTER_TOKEN_SERVERS,
  NAMESPACES,
  type ResourceType,
  SECRETS,
  TOKEN_RESOURCES,
  TOKEN_SERVERS,
} from "./kube/resources.js";
import type { OperatorMetrics } from "./metrics.js";
import { Informer, type InformerTiming, withoutManagedFields } from "./runtime/informer.js";
import { MANAGED_SECRET_SELECTOR } from "./secret-contract.js";

/** What the operator does with every cache alike. */
export type CacheLifecycle = Pick<Informer<KubeObject>, "name" | "synced" | "start" | "stop" | "whenSynced">;

/**
 * The operator's caches: what it watches, with which selectors. They run on every replica (so
 * a new leader starts warm and /readyz means something).
 */
export interface Caches {
  accessTokens: Informer<KubeObject>;
  /** Only the Secrets tokenplane manages (by label). */
  secrets: Informer<Secret>;
  tokenServers: Informer<KubeObject>;
  clusterTokenServers: Informer<KubeObject>;
  namespaces: Informer<KubeObject>;
  tokenResources: Informer<KubeObject>;
  /** Every one of them, for starting, stopping and readiness. */
  all: readonly CacheLifecycle[];
}

export function createCaches(o: {
  client: KubeClient;
  /** Watch only this namespace (AccessTokens, Secrets, TokenServers, Namespaces); all when undefined. */
  namespace: string | undefined;
  log: Logger;
  timing: Partial<InformerTiming>;
  failures: ApiFailureLog;
  metrics: OperatorMetrics;
}): Caches {
  const cache = <T extends KubeObject = KubeObject>(
    resource: ResourceType,
    name: string,
    select: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
  ) =>
    new Informer<T>({
      client: o.client,
      log: o.log,
      timing: o.timing,
      failures: o.failures,
      resource,
      ...select,
      transform: withoutManagedFields,
      onRestart: (reason) => o.metrics.watchRestarts.inc({ resource: name, reason }),
    });
  const ns = o.namespace ? { namespace: o.namespace } : {};
  const accessTokens = cache(ACCESS_TOKENS, "accesstokens", ns);
  const secrets = cache<Secret>(SECRETS, "secrets", { ...ns, labelSelector: MANAGED_SECRET_SELECTOR });
  const tokenServers = cache(TOKEN_SERVERS, "tokenservers", ns);
  const clusterTokenServers = cache(CLUSTER_TOKEN_SERVERS, "clustertokenservers");
  const namespaces = cache(
    NAMESPACES,
    "namespaces",
    o.namespace ? { fieldSelector: `metadata.name=${o.namespace}` } : {},
  );
  const tokenResources = cache(TOKEN_RESOURCES, "tokenresources");
  return {
    accessTokens,
    secrets,
    tokenServers,
    clusterTokenServers,
    namespaces,
    tokenResources,
    all: [accessTokens, tokenResources, secrets, tokenServers, clusterTokenServers, namespaces],
  };
}

/** Why the caches are not ready (CRDs missing, not synced yet), or undefined. */
export function cachesReadiness(caches: Caches, failures: ApiFailureLog): string | undefined {
  const missing = failures.missingCrds();
  if (missing.length > 0) return `CRDs not installed: ${missing.join(", ")} (install: ${INSTALL_CRDS_HINT})`;
  const pending = caches.all.filter((i) => !i.synced).map((i) => i.name);
  return pending.length > 0 ? `caches not synced: ${pending.join(", ")}` : undefined;
}
