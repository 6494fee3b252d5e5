import { ACCESS_TOKEN_DEFAULTS, ACCESS_TOKEN_LABEL, type ServerKind } from "../../crd/index.js";
import type { Caches } from "../caches.js";
import { type KubeObject, objectKey } from "../kube/objects.js";
import type { Change } from "../runtime/informer.js";
import type { Manager } from "../runtime/manager.js";
import { watch, type ReconcileResult } from "../runtime/controller.js";
import { labelsUnchanged, onlyStatusChanged } from "../runtime/predicates.js";
import { ownerOf } from "../secret-contract.js";
import { TokenStreams } from "../token-streams.js";
import { expectationKey } from "./cached-write.js";
import type { ReconcilerDeps } from "./context.js";
import { AccessTokenReconciler } from "./reconciler.js";

export interface AccessTokenControllerDeps extends Omit<
  ReconcilerDeps,
  "accessTokens" | "secrets" | "streams" | "revisions" | "requeue"
> {
  caches: Caches;
  /** How long a key waits for the caches to show the operator's own write before acting anyway. */
  expectationsTtlMs: number;
  streamBackoff: { baseMs: number; maxMs: number };
}

/** The AccessToken controller as the rest of the operator uses it. */
export interface AccessTokenController {
  /** AccessTokens not ready yet: one may have waited for a resource just registered. */
  enqueueNotReady(): void;
  /** For the metrics: AccessTokens by their last reconcile's readiness. */
  tokens(): { ready: number; notReady: number };
  /** For the metrics: the earliest scheduled rotation (epoch ms). */
  nextRenewalAt(): number | undefined;
  /** Leadership ended: stops the token servers' change streams and forgets waiting keys. */
  stop(): Promise<void>;
}

const keyOf = (obj: KubeObject): string => objectKey(obj.metadata);

/**
 * Registers the AccessToken controller. Its keys are AccessToken keys (`namespace/name`); it
 * watches the AccessTokens, the Secrets it manages, the (Cluster)TokenServers and Namespaces
 * their serverRefs depend on, and the token servers' change streams.
 */
export function registerAccessTokenController(
  manager: Manager,
  d: AccessTokenControllerDeps,
): AccessTokenController {
  const { caches, expectations } = d;
  const uidIndex = new Map<string, string>();
  const revisions = new Map<string, number>();
  /** Keys whose last reconcile waited for the operator's own write to show. */
  const waiting = new Set<string>();
  const readyByKey = new Map<string, boolean>();
  const renewals = new Map<string, number>();

  const inNamespace = (namespace: string): string[] =>
    caches.accessTokens
      .list()
      .filter((at) => at.metadata.namespace === namespace)
      .map(keyOf);

  /** The AccessTokens whose serverRef names this server. */
  const referencing = (kind: ServerKind, name: string, namespace?: string): string[] =>
    caches.accessTokens
      .list()
      .filter((at) => {
        if (namespace && at.metadata.namespace !== namespace) return false;
        const ref =
          (at.spec as { serverRef?: { kind: string; name: string } } | undefined)?.serverRef ??
          ACCESS_TOKEN_DEFAULTS.serverRef;
        return ref.kind === kind && ref.name === name;
      })
      .map(keyOf);

  /** Whether a change is the operator's own write (or may be: held until the write answers). */
  const own = (expectation: string, c: Change<KubeObject>): boolean => {
    const rv = c.type === "deleted" ? undefined : c.object.metadata.resourceVersion;
    return expectations.observe(expectation, rv) !== "other";
  };

  const onAccessToken = (c: Change<KubeObject>): string[] => {
    const key = keyOf(c.object);
    const mine = own(expectationKey.accessToken(key), c);
    const uid = c.object.metadata.uid;
    if (c.type === "deleted") {
      if (uid) uidIndex.delete(uid);
      controller.cancel(key);
      readyByKey.delete(key);
      renewals.delete(key);
      return [];
    }
    if (uid) uidIndex.set(uid, key);
    // The operator's own writes need no reconcile, unless one was waiting for them.
    return (mine || onlyStatusChanged(c)) && !waiting.has(key) ? [] : [key];
  };

  const onSecret = (c: Change<KubeObject>): string[] => {
    const meta = c.object.metadata;
    const mine = own(expectationKey.secret(keyOf(c.object)), c);
    // The AccessToken the label names (a long name is shortened there), and the one that owns it.
    const keys = new Set<string>();
    const label = meta.labels?.[ACCESS_TOKEN_LABEL];
    if (label) keys.add(`${meta.namespace}/${label}`);
    const owner = ownerOf(c.object);
    const byOwner = owner ? uidIndex.get(owner.uid) : undefined;
    if (byOwner) keys.add(byOwner);
    return mine && ![...keys].some((k) => waiting.has(k)) ? [] : [...keys];
  };

  const streams = new TokenStreams(
    {
      onChange: (type, token) => {
        const key = token.externalId ? uidIndex.get(token.externalId) : undefined;
        if (!key) return;
        if (type === "DELETED" || token.revision > (revisions.get(token.id) ?? 0)) controller.enqueue(key);
      },
      onReconnect: (target) => {
        for (const key of inNamespace(target.namespace)) controller.enqueue(key);
      },
      api: async (target) => {
        const [kind, name] = target.serverKey.split("/") as [ServerKind, string];
        return (await d.servers.resolve({ kind, name }, target.namespace, { forRevoke: true })).api;
      },
    },
    d.log,
    d.streamBackoff,
  );

  const reconciler = new AccessTokenReconciler({
    ...d,
    accessTokens: caches.accessTokens,
    secrets: caches.secrets,
    streams,
    revisions,
    requeue: (key) => controller.enqueue(key),
  });

  const reconcile = async (key: string): Promise<ReconcileResult> => {
    waiting.delete(key);
    const outcome = await reconciler.reconcile(key);
    if (outcome.kind === "waiting") {
      waiting.add(key);
      return { result: "waiting", requeueAfterMs: d.expectationsTtlMs };
    }
    if (outcome.kind === "failed") {
      readyByKey.set(key, false);
      const { reason, message, retryAfterMs } = outcome.failure;
      return { result: "error", reason, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    if (caches.accessTokens.get(key)) readyByKey.set(key, outcome.ready);
    if (outcome.renewalAt !== undefined) renewals.set(key, outcome.renewalAt);
    else renewals.delete(key);
    return {
      result: "success",
      ...(outcome.requeueAfterMs === undefined ? {} : { requeueAfterMs: outcome.requeueAfterMs }),
    };
  };

  const controller = manager.registerController({
    name: "AccessToken",
    primary: caches.accessTokens,
    logField: "accessToken",
    watches: [
      watch(caches.accessTokens, onAccessToken),
      watch(caches.secrets, onSecret),
      watch(caches.tokenServers, (c) =>
        onlyStatusChanged(c)
          ? []
          : referencing("TokenServer", c.object.metadata.name, c.object.metadata.namespace),
      ),
      watch(caches.clusterTokenServers, (c) =>
        onlyStatusChanged(c) ? [] : referencing("ClusterTokenServer", c.object.metadata.name),
      ),
      watch(caches.namespaces, (c) => (labelsUnchanged(c) ? [] : inNamespace(c.object.metadata.name))),
    ],
    reconcile,
  });
  // A relist replaced the cache with a view that includes every earlier write.
  caches.accessTokens.onRelist(() => expectations.clear("accesstokens|"));
  caches.secrets.onRelist(() => expectations.clear("secrets|"));

  return {
    enqueueNotReady() {
      for (const at of caches.accessTokens.list()) {
        const key = keyOf(at);
        if (readyByKey.get(key) !== true) controller.enqueue(key);
      }
    },
    tokens() {
      let ready = 0;
      for (const v of readyByKey.values()) if (v) ready++;
      return { ready, notReady: readyByKey.size - ready };
    },
    nextRenewalAt() {
      let earliest: number | undefined;
      for (const at of renewals.values()) if (earliest === undefined || at < earliest) earliest = at;
      return earliest;
    },
    async stop() {
      await streams.stopAll();
      waiting.clear();
    },
  };
}
