import type { Logger } from "pino";
import type { TokenServerApi } from "../api/index.js";
import { ACCESS_TOKEN_LABEL, ACCESS_TOKEN_DEFAULTS } from "../crd/index.js";
import { canonical } from "./access-token-status.js";
import { AccessTokenReconciler, expectationKey, type ReconcileHooks } from "./access-token-reconciler.js";
import { clusterIdentity } from "./cluster-identity.js";
import { registerEmbeddedServer, type EmbeddedRegistration } from "./embedded-registration.js";
import { createEventRecorder, type EventRecorder } from "./events.js";
import { Expectations } from "./expectations.js";
import { type KubeClient, retryAfterMs } from "./kube/client.js";
import { type ApiFailureLog, createApiFailureLog, INSTALL_CRDS_HINT } from "./kube/api-failure-log.js";
import {
  type Change,
  DEFAULT_INFORMER_TIMING,
  Informer,
  type InformerTiming,
  withoutManagedFields,
} from "./kube/informer.js";
import type { KubeObject, Secret } from "./kube/objects.js";
import {
  ACCESS_TOKENS,
  CLUSTER_TOKEN_SERVERS,
  NAMESPACES,
  SECRETS,
  TOKEN_RESOURCES,
  TOKEN_SERVERS,
} from "./kube/resources.js";
import type { OperatorMetrics } from "./metrics.js";
import { MANAGED_SECRET_SELECTOR, ownerOf } from "./secret-contract.js";
import { ServerRegistry } from "./server-registry.js";
import { ServerStatusReconciler } from "./server-status-reconciler.js";
import { TokenResourceReconciler } from "./token-resource-reconciler.js";
import { TokenStreams } from "./token-streams.js";
import { UserDirectory } from "./users.js";
import { WorkQueue } from "./work-queue.js";

export interface ControllerTiming {
  /** Every object is re-checked this often (and the token server with it). */
  resyncMs: number;
  /** Per-key retry backoff after a failed reconcile. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long to wait for the caches to show the operator's own write before acting anyway. */
  expectationsTtlMs: number;
  /** How long a remote server's credentials (read from their Secret) are reused. */
  credentialsTtlMs: number;
  /** Reconnect backoff of the token servers' change streams. */
  streamBackoffBaseMs: number;
  streamBackoffMaxMs: number;
  informer: Partial<InformerTiming>;
  /** Identical events within this window are aggregated (their count bumped). */
  eventAggregateMs: number;
}

export const DEFAULT_CONTROLLER_TIMING: ControllerTiming = {
  resyncMs: 10 * 60_000,
  backoffBaseMs: 500,
  backoffMaxMs: 5 * 60_000,
  expectationsTtlMs: 30_000,
  credentialsTtlMs: 60_000,
  streamBackoffBaseMs: 1_000,
  streamBackoffMaxMs: 60_000,
  informer: {},
  eventAggregateMs: 10 * 60_000,
};

export interface ControllerOptions {
  client: KubeClient;
  /** Watch only this namespace (AccessTokens, Secrets, TokenServers); all when undefined. */
  namespace?: string;
  /** The embedded server's in-process API, when the operator runs one. */
  embedded?: TokenServerApi;
  embeddedRegistration?: EmbeddedRegistration;
  clusterName?: string;
  identity: string;
  log: Logger;
  metrics: OperatorMetrics;
  now: () => number;
  timing: ControllerTiming;
  workers: number;
  hooks: ReconcileHooks;
  version: string;
}

const AT = "AccessToken:";
const TS = "TokenServer:";
const CTS = "ClusterTokenServer:";
const TR = "TokenResource:";

/** Whether an update is only the status (and resourceVersion) changing: the operator's own status writes. */
function onlyStatusChanged(c: Change<KubeObject>): boolean {
  if (c.type !== "updated" || !c.old) return false;
  const strip = (o: KubeObject) => {
    const { resourceVersion: _rv, managedFields: _mf, ...metadata } = o.metadata;
    const { status: _status, ...rest } = o;
    return canonical({ ...rest, metadata });
  };
  return strip(c.old) === strip(c.object);
}

/**
 * Wires the caches, the work queue and the reconcilers. Caches run on every replica (so a new
 * leader starts warm and /readyz means something); the queue and its workers run only while
 * this replica leads.
 */
export class Controller {
  readonly accessTokens: Informer<KubeObject>;
  readonly secrets: Informer<Secret>;
  readonly tokenServers: Informer<KubeObject>;
  readonly clusterTokenServers: Informer<KubeObject>;
  readonly namespaces: Informer<KubeObject>;
  readonly tokenResources: Informer<KubeObject>;
  private readonly informers: Informer<KubeObject>[];
  readonly events: EventRecorder;
  /** Shared by the caches and the leader elector: outages and missing CRDs said once. */
  readonly apiFailures: ApiFailureLog;
  private readonly expectations: Expectations;
  private readonly registry: ServerRegistry;
  private readonly streams: TokenStreams;
  private readonly users: UserDirectory;
  private readonly reconciler: AccessTokenReconciler;
  private readonly serverStatus: ServerStatusReconciler;
  private readonly resources: TokenResourceReconciler;
  private readonly uidIndex = new Map<string, string>();
  private readonly revisions = new Map<string, number>();
  private readonly waiting = new Set<string>();
  private readonly readyByKey = new Map<string, boolean>();
  private readonly renewals = new Map<string, number>();
  private queue: WorkQueue | undefined;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private cluster = "default";
  private leadership: Promise<void> = Promise.resolve();
  /** Aborted when leadership ends, so that starting to lead gives up waiting. */
  private leadingSince: AbortController | undefined;

  constructor(private readonly o: ControllerOptions) {
    const { client, log, timing } = o;
    this.apiFailures = createApiFailureLog({
      server: client.server,
      log,
      maxRoundMs: timing.informer.backoffMaxMs ?? DEFAULT_INFORMER_TIMING.backoffMaxMs,
    });
    const base = { client, log, timing: timing.informer, failures: this.apiFailures };
    const restart = (name: string) => (reason: string) =>
      o.metrics.watchRestarts.inc({ resource: name, reason });
    this.accessTokens = new Informer({
      ...base,
      resource: ACCESS_TOKENS,
      namespace: o.namespace,
      transform: withoutManagedFields,
      onRestart: restart("accesstokens"),
    });
    this.secrets = new Informer<Secret>({
      ...base,
      resource: SECRETS,
      namespace: o.namespace,
      labelSelector: MANAGED_SECRET_SELECTOR,
      transform: withoutManagedFields,
      onRestart: restart("secrets"),
    });
    this.tokenServers = new Informer({
      ...base,
      resource: TOKEN_SERVERS,
      namespace: o.namespace,
      transform: withoutManagedFields,
      onRestart: restart("tokenservers"),
    });
    this.clusterTokenServers = new Informer({
      ...base,
      resource: CLUSTER_TOKEN_SERVERS,
      transform: withoutManagedFields,
      onRestart: restart("clustertokenservers"),
    });
    this.namespaces = new Informer({
      ...base,
      resource: NAMESPACES,
      ...(o.namespace ? { fieldSelector: `metadata.name=${o.namespace}` } : {}),
      transform: withoutManagedFields,
      onRestart: restart("namespaces"),
    });
    this.tokenResources = new Informer({
      ...base,
      resource: TOKEN_RESOURCES,
      transform: withoutManagedFields,
      onRestart: restart("tokenresources"),
    });
    this.informers = [
      this.accessTokens,
      this.tokenResources,
      this.secrets,
      this.tokenServers,
      this.clusterTokenServers,
      this.namespaces,
    ];
    this.events = createEventRecorder({
      client,
      log,
      instance: o.identity,
      now: o.now,
      aggregateMs: timing.eventAggregateMs,
    });
    this.expectations = new Expectations(timing.expectationsTtlMs);
    this.registry = new ServerRegistry({
      client,
      tokenServers: this.tokenServers,
      clusterTokenServers: this.clusterTokenServers,
      namespaces: this.namespaces,
      embedded: o.embedded,
      log,
      credentialsTtlMs: timing.credentialsTtlMs,
      now: o.now,
    });
    this.users = new UserDirectory(() => this.cluster);
    this.streams = new TokenStreams(
      {
        onChange: (type, token) => {
          const key = token.externalId ? this.uidIndex.get(token.externalId) : undefined;
          if (!key) return;
          if (type === "DELETED" || token.revision > (this.revisions.get(token.id) ?? 0))
            this.enqueue(AT + key);
        },
        onReconnect: (target) => this.enqueueNamespace(target.namespace),
        api: async (target) => {
          const [kind, name] = target.serverKey.split("/") as ["ClusterTokenServer" | "TokenServer", string];
          return (await this.registry.resolve({ kind, name }, target.namespace, { forRevoke: true })).api;
        },
      },
      log,
      { baseMs: timing.streamBackoffBaseMs, maxMs: timing.streamBackoffMaxMs },
    );
    this.reconciler = new AccessTokenReconciler({
      client,
      accessTokens: this.accessTokens,
      secrets: this.secrets,
      servers: this.registry,
      users: this.users,
      events: this.events,
      expectations: this.expectations,
      metrics: o.metrics,
      streams: this.streams,
      revisions: this.revisions,
      requeue: (key) => this.enqueue(AT + key),
      log,
      now: o.now,
      hooks: o.hooks,
    });
    this.serverStatus = new ServerStatusReconciler({
      client,
      tokenServers: this.tokenServers,
      clusterTokenServers: this.clusterTokenServers,
      servers: this.registry,
      events: this.events,
      log,
      now: o.now,
      version: o.version,
    });
    this.resources = new TokenResourceReconciler({
      client,
      tokenResources: this.tokenResources,
      servers: this.registry,
      events: this.events,
      log,
      now: o.now,
    });
    this.wire();
    this.wireMetrics();
  }

  private wire(): void {
    this.accessTokens.onChange((c) => {
      const key = `${c.object.metadata.namespace}/${c.object.metadata.name}`;
      const own = this.observe(expectationKey.accessToken(key), c);
      const uid = c.object.metadata.uid;
      if (c.type === "deleted") {
        if (uid) this.uidIndex.delete(uid);
        this.queue?.cancel(AT + key);
        this.readyByKey.delete(key);
        this.renewals.delete(key);
        return;
      }
      if (uid) this.uidIndex.set(uid, key);
      // The operator's own writes need no reconcile, unless one was waiting for them.
      if ((own || onlyStatusChanged(c)) && !this.waiting.has(AT + key)) return;
      this.enqueue(AT + key);
    });
    this.accessTokens.onRelist(() => this.expectations.clear("accesstokens|"));
    this.secrets.onChange((c) => {
      const meta = c.object.metadata;
      const own = this.observe(expectationKey.secret(`${meta.namespace}/${meta.name}`), c);
      // The AccessToken the label names (a long name is shortened there), and the one that owns it.
      const label = meta.labels?.[ACCESS_TOKEN_LABEL];
      const owner = ownerOf(c.object);
      const keys = new Set<string>();
      if (label) keys.add(`${meta.namespace}/${label}`);
      const byOwner = owner ? this.uidIndex.get(owner.uid) : undefined;
      if (byOwner) keys.add(byOwner);
      if (own && ![...keys].some((k) => this.waiting.has(AT + k))) return;
      for (const k of keys) this.enqueue(AT + k);
    });
    this.secrets.onRelist(() => this.expectations.clear("secrets|"));
    this.tokenServers.onChange((c) => {
      if (onlyStatusChanged(c)) return;
      const { namespace, name } = c.object.metadata;
      this.enqueue(`${TS}${namespace}/${name}`);
      this.enqueueReferencing("TokenServer", name, namespace);
    });
    this.clusterTokenServers.onChange((c) => {
      if (onlyStatusChanged(c)) return;
      this.enqueue(CTS + c.object.metadata.name);
      this.enqueueReferencing("ClusterTokenServer", c.object.metadata.name);
    });
    this.tokenResources.onChange((c) => {
      if (c.type === "deleted" || onlyStatusChanged(c)) return;
      this.enqueue(TR + c.object.metadata.name);
    });
    this.namespaces.onChange((c) => {
      if (
        c.type === "updated" &&
        canonical(c.old?.metadata.labels ?? {}) === canonical(c.object.metadata.labels ?? {})
      )
        return;
      this.enqueueNamespace(c.object.metadata.name);
    });
  }

  /** Whether a change is the operator's own write (or may be: held until the write answers). */
  private observe(key: string, c: Change<KubeObject>): boolean {
    const rv = c.type === "deleted" ? undefined : c.object.metadata.resourceVersion;
    return this.expectations.observe(key, rv) !== "other";
  }

  private wireMetrics(): void {
    this.o.metrics.bind({
      queueDepth: () => this.queue?.depth ?? 0,
      queueDelayed: () => this.queue?.delayed ?? 0,
      tokens: () => {
        let ready = 0;
        for (const v of this.readyByKey.values()) if (v) ready++;
        return { ready, notReady: this.readyByKey.size - ready };
      },
      nextRenewalAt: () => {
        let earliest: number | undefined;
        for (const at of this.renewals.values()) if (earliest === undefined || at < earliest) earliest = at;
        return earliest;
      },
      cachesSynced: () => this.synced,
      now: this.o.now,
    });
  }

  get synced(): boolean {
    return this.informers.every((i) => i.synced);
  }

  /** Why the operator is not ready, or undefined. */
  readiness(): string | undefined {
    const missing = this.apiFailures.missingCrds();
    if (missing.length > 0)
      return `CRDs not installed: ${missing.join(", ")} (install: ${INSTALL_CRDS_HINT})`;
    const pending = this.informers.filter((i) => !i.synced).map((i) => i.name);
    return pending.length > 0 ? `caches not synced: ${pending.join(", ")}` : undefined;
  }

  start(): void {
    for (const informer of this.informers) informer.start();
  }

  async whenSynced(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.whenSynced()));
  }

  private enqueue(key: string): void {
    this.queue?.add(key);
  }

  private enqueueNamespace(namespace: string): void {
    for (const at of this.accessTokens.list())
      if (at.metadata.namespace === namespace) this.enqueue(`${AT}${namespace}/${at.metadata.name}`);
  }

  private enqueueReferencing(kind: string, name: string, namespace?: string): void {
    for (const at of this.accessTokens.list()) {
      if (namespace && at.metadata.namespace !== namespace) continue;
      const ref = ((at.spec as { serverRef?: { kind: string; name: string } } | undefined)?.serverRef ??
        ACCESS_TOKEN_DEFAULTS.serverRef) as { kind: string; name: string };
      if (ref.kind === kind && ref.name === name)
        this.enqueue(`${AT}${at.metadata.namespace}/${at.metadata.name}`);
    }
  }

  private enqueueAll(): void {
    for (const at of this.accessTokens.list())
      this.enqueue(`${AT}${at.metadata.namespace}/${at.metadata.name}`);
    for (const ts of this.tokenServers.list())
      this.enqueue(`${TS}${ts.metadata.namespace}/${ts.metadata.name}`);
    for (const cts of this.clusterTokenServers.list()) this.enqueue(CTS + cts.metadata.name);
    for (const tr of this.tokenResources.list()) this.enqueue(TR + tr.metadata.name);
  }

  /** AccessTokens not ready yet: one may have waited for a resource just registered. */
  private enqueueNotReady(): void {
    for (const at of this.accessTokens.list()) {
      const key = `${at.metadata.namespace}/${at.metadata.name}`;
      if (this.readyByKey.get(key) !== true) this.enqueue(AT + key);
    }
  }

  get leading(): boolean {
    return this.queue !== undefined;
  }

  /** Starts reconciling (this replica became the leader). */
  startLeading(): void {
    const term = new AbortController();
    this.leadingSince = term;
    this.leadership = this.leadership.then(() => this.beginLeading(term.signal));
  }

  /** Stops reconciling and waits for in-flight reconciles to finish. */
  stopLeading(): Promise<void> {
    this.leadingSince?.abort();
    this.leadership = this.leadership.then(() => this.endLeading());
    return this.leadership;
  }

  private async beginLeading(term: AbortSignal): Promise<void> {
    if (this.queue) return;
    const { log, timing } = this.o;
    await this.whenSynced();
    this.cluster = await clusterIdentity(this.o.client, this.o.clusterName, log, term);
    if (term.aborted) return;
    const queue = new WorkQueue({ backoffBaseMs: timing.backoffBaseMs, backoffMaxMs: timing.backoffMaxMs });
    this.queue = queue;
    this.o.metrics.leader.set(1);
    if (this.o.embeddedRegistration) {
      await registerEmbeddedServer(
        this.o.client,
        this.clusterTokenServers,
        this.o.embeddedRegistration,
        log,
      ).catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, "could not register the embedded server"),
      );
    }
    this.enqueueAll();
    this.workers = Array.from({ length: this.o.workers }, () => this.work(queue));
    this.resyncTimer = setInterval(() => this.enqueueAll(), timing.resyncMs);
    this.resyncTimer.unref();
    log.info({ workers: this.o.workers, cluster: this.cluster }, "reconciling");
  }

  private async endLeading(): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    this.queue = undefined;
    clearInterval(this.resyncTimer);
    queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
    await this.streams.stopAll();
    await this.events.flush();
    this.users.clear();
    this.waiting.clear();
    this.o.metrics.leader.set(0);
    this.o.log.info("stopped reconciling");
  }

  /** Stops at once without waiting for in-flight reconciles (a crash, for tests). */
  async abandon(): Promise<void> {
    this.leadingSince?.abort();
    const queue = this.queue;
    this.queue = undefined;
    clearInterval(this.resyncTimer);
    queue?.shutDown();
    this.workers = [];
    await this.streams.stopAll();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  async stop(): Promise<void> {
    await this.stopLeading();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private async work(queue: WorkQueue): Promise<void> {
    const { log, metrics } = this.o;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const controller = key.slice(0, key.indexOf(":"));
      const name = key.slice(controller.length + 1);
      const stopTimer = metrics.reconcileDuration.startTimer({ controller });
      try {
        if (controller === "AccessToken") {
          this.waiting.delete(key);
          const outcome = await this.reconciler.reconcile(name);
          if (outcome.kind === "waiting") {
            this.waiting.add(key);
            queue.addAfter(key, this.o.timing.expectationsTtlMs);
            metrics.reconciles.inc({ controller, result: "waiting" });
          } else if (outcome.kind === "failed") {
            const delay = queue.addRateLimited(key, outcome.failure.retryAfterMs);
            this.readyByKey.set(name, false);
            metrics.reconciles.inc({ controller, result: "error" });
            metrics.reconcileErrors.inc({ controller, reason: outcome.failure.reason });
            log.warn(
              {
                accessToken: name,
                reason: outcome.failure.reason,
                err: outcome.failure.message,
                retryInMs: delay,
              },
              "reconcile failed",
            );
          } else {
            queue.forget(key);
            metrics.reconciles.inc({ controller, result: "success" });
            if (this.accessTokens.get(name)) this.readyByKey.set(name, outcome.ready);
            if (outcome.renewalAt !== undefined) this.renewals.set(name, outcome.renewalAt);
            else this.renewals.delete(name);
            if (outcome.requeueAfterMs !== undefined) queue.addAfter(key, outcome.requeueAfterMs);
          }
        } else if (controller === "TokenResource") {
          const outcome = await this.resources.reconcile(name);
          if (outcome.kind === "failed") {
            const delay = queue.addRateLimited(key);
            metrics.reconciles.inc({ controller, result: "error" });
            metrics.reconcileErrors.inc({ controller, reason: outcome.reason });
            log.warn(
              { tokenResource: name, reason: outcome.reason, err: outcome.message, retryInMs: delay },
              "reconcile failed",
            );
          } else {
            queue.forget(key);
            metrics.reconciles.inc({ controller, result: "success" });
            if (outcome.registered) this.enqueueNotReady();
          }
        } else {
          await this.serverStatus.reconcile(controller as "TokenServer" | "ClusterTokenServer", name);
          queue.forget(key);
          metrics.reconciles.inc({ controller, result: "success" });
        }
      } catch (err) {
        const delay = queue.addRateLimited(key, retryAfterMs(err));
        metrics.reconciles.inc({ controller, result: "error" });
        metrics.reconcileErrors.inc({ controller, reason: "Unexpected" });
        log.error({ key, err, retryInMs: delay }, "reconcile failed unexpectedly");
      } finally {
        stopTimer();
        queue.done(key);
      }
    }
  }
}
