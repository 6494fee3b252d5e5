import type { TokenServerApi } from "../../src/api/index.js";
import { expectationKey } from "../../src/operator/access-token/cached-write.js";
import { AccessTokenReconciler } from "../../src/operator/access-token/reconciler.js";
import { createEventRecorder, type EventRecorder } from "../../src/operator/runtime/events.js";
import { Expectations } from "../../src/operator/runtime/expectations.js";
import type { Informer } from "../../src/operator/runtime/informer.js";
import type { KubeObject, Secret } from "../../src/operator/kube/objects.js";
import { createOperatorMetrics } from "../../src/operator/metrics.js";
import { MANAGED_SECRET_SELECTOR } from "../../src/operator/secret-contract.js";
import { ServerRegistry } from "../../src/operator/server-registry.js";
import { ServerStatusReconciler } from "../../src/operator/server-status-reconciler.js";
import type { TokenStreams } from "../../src/operator/token-streams.js";
import { UserDirectory } from "../../src/operator/users.js";
import { createLogger } from "../../src/server/index.js";
import { MemoryKube } from "./memory-kube.js";
import { LogCapture } from "./token-server.js";

/*
 * The operator's reconcilers wired as the Controller wires them, minus the queue and the
 * watches: the caches are views of a MemoryKube, and a test calls `reconcile` itself. This is
 * the seam where objects read from the API enter the operator.
 */

export interface Harness {
  kube: MemoryKube;
  accessTokens: AccessTokenReconciler;
  servers: ServerStatusReconciler;
  registry: ServerRegistry;
  events: EventRecorder;
  logs: LogCapture;
  /** AccessToken keys the reconciler asked to have queued again. */
  requeued: string[];
}

export function createHarness(opts: {
  embedded: TokenServerApi | undefined;
  cluster?: string;
  now?: () => number;
  logs?: LogCapture;
  /** AccessTokens the operator's cache still shows, by key, after they are gone (their watch event is late). */
  staleAccessTokens?: ReadonlyMap<string, KubeObject>;
}): Harness {
  const kube = new MemoryKube();
  const logs = opts.logs ?? new LogCapture();
  const log = createLogger({ level: "debug", destination: logs }).child({ component: "operator" });
  const now = opts.now ?? Date.now;
  const expectations = new Expectations(30_000);
  kube.onChange = (resource, key, rv) => {
    if (resource === "accesstokens") expectations.observe(expectationKey.accessToken(key), rv);
    if (resource === "secrets") expectations.observe(expectationKey.secret(key), rv);
  };
  const tokenServers = kube.cache("tokenservers");
  const clusterTokenServers = kube.cache("clustertokenservers");
  const registry = new ServerRegistry({
    client: kube,
    tokenServers,
    clusterTokenServers,
    namespaces: kube.cache("namespaces"),
    embedded: opts.embedded,
    log,
    credentialsTtlMs: 60_000,
    now,
  });
  const events = createEventRecorder({ client: kube, log, instance: "harness", now, aggregateMs: 600_000 });
  const requeued: string[] = [];
  const streams = { ensure: () => undefined } as unknown as TokenStreams;
  const liveAccessTokens = kube.cache("accesstokens");
  const stale = opts.staleAccessTokens;
  const accessTokenCache = stale
    ? Object.assign(Object.create(liveAccessTokens) as Informer<KubeObject>, {
        get: (key: string) => stale.get(key) ?? liveAccessTokens.get(key),
      })
    : liveAccessTokens;
  const accessTokens = new AccessTokenReconciler({
    client: kube,
    accessTokens: accessTokenCache,
    secrets: kube.cache<Secret>("secrets", MANAGED_SECRET_SELECTOR),
    servers: registry,
    users: new UserDirectory(() => opts.cluster ?? "harness"),
    events,
    expectations,
    metrics: createOperatorMetrics(),
    streams,
    revisions: new Map(),
    requeue: (key) => requeued.push(key),
    log,
    now,
    hooks: {},
  });
  const servers = new ServerStatusReconciler({
    client: kube,
    tokenServers,
    clusterTokenServers,
    servers: registry,
    events,
    log,
    now,
    version: "harness",
  });
  return { kube, accessTokens, servers, registry, events, logs, requeued };
}

export type { KubeObject };
