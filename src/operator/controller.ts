import type { Logger } from "pino";
import type { TokenServerApi } from "../api/index.js";
import type { ReconcileHooks } from "./access-token/context.js";
import { type AccessTokenController, registerAccessTokenController } from "./access-token/controller.js";
import { type Caches, cachesReadiness, createCaches } from "./caches.js";
import { clusterIdentity } from "./cluster-identity.js";
import { registerEmbeddedServer, type EmbeddedRegistration } from "./embedded-registration.js";
import { type ApiFailureLog, createApiFailureLog } from "./kube/api-failure-log.js";
import type { KubeClient } from "./kube/client.js";
import type { OperatorMetrics } from "./metrics.js";
import { createEventRecorder, type EventRecorder } from "./runtime/events.js";
import { Expectations } from "./runtime/expectations.js";
import { DEFAULT_INFORMER_TIMING, type InformerTiming } from "./runtime/informer.js";
import { createManager, type Manager } from "./runtime/manager.js";
import { ServerRegistry } from "./server-registry.js";
import { registerServerStatusControllers } from "./server-status-controller.js";
import { ServerStatusReconciler } from "./server-status-reconciler.js";
import { registerTokenResourceController } from "./token-resource-controller.js";
import { TokenResourceReconciler } from "./token-resource-reconciler.js";
import { UserDirectory } from "./users.js";

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

/**
 * Wires the caches, the controllers and leadership. Caches run on every replica (so a new
 * leader starts warm and /readyz means something); the controllers' queues and workers run
 * only while this replica leads. Each controller (AccessToken, TokenServer,
 * ClusterTokenServer, TokenResource) owns its queue and keys: see `runtime/controller.ts`.
 */
export class Controller {
  private readonly caches: Caches;
  readonly events: EventRecorder;
  /** Shared by the caches and the leader elector: outages and missing CRDs said once. */
  readonly apiFailures: ApiFailureLog;
  private readonly registry: ServerRegistry;
  private readonly users: UserDirectory;
  private readonly manager: Manager;
  private readonly accessTokens: AccessTokenController;
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
    const caches = createCaches({
      client,
      namespace: o.namespace,
      log,
      timing: timing.informer,
      failures: this.apiFailures,
      metrics: o.metrics,
    });
    this.caches = caches;
    this.events = createEventRecorder({
      client,
      log,
      instance: o.identity,
      now: o.now,
      aggregateMs: timing.eventAggregateMs,
    });
    this.registry = new ServerRegistry({
      client,
      tokenServers: caches.tokenServers,
      clusterTokenServers: caches.clusterTokenServers,
      namespaces: caches.namespaces,
      embedded: o.embedded,
      log,
      credentialsTtlMs: timing.credentialsTtlMs,
      now: o.now,
    });
    this.users = new UserDirectory(() => this.cluster);
    this.manager = createManager({
      log,
      metrics: o.metrics,
      backoffBaseMs: timing.backoffBaseMs,
      backoffMaxMs: timing.backoffMaxMs,
      workers: o.workers,
      resyncMs: timing.resyncMs,
    });
    this.accessTokens = registerAccessTokenController(this.manager, {
      client,
      caches,
      servers: this.registry,
      users: this.users,
      events: this.events,
      expectations: new Expectations(timing.expectationsTtlMs),
      expectationsTtlMs: timing.expectationsTtlMs,
      metrics: o.metrics,
      log,
      now: o.now,
      hooks: o.hooks,
      streamBackoff: { baseMs: timing.streamBackoffBaseMs, maxMs: timing.streamBackoffMaxMs },
    });
    registerServerStatusControllers(
      this.manager,
      caches,
      new ServerStatusReconciler({
        client,
        tokenServers: caches.tokenServers,
        clusterTokenServers: caches.clusterTokenServers,
        servers: this.registry,
        events: this.events,
        log,
        now: o.now,
        version: o.version,
      }),
    );
    registerTokenResourceController(
      this.manager,
      caches,
      new TokenResourceReconciler({
        client,
        tokenResources: caches.tokenResources,
        servers: this.registry,
        events: this.events,
        log,
        now: o.now,
      }),
      () => this.accessTokens.enqueueNotReady(),
    );
    o.metrics.bind({
      queueDepth: () => this.manager.depth,
      queueDelayed: () => this.manager.delayed,
      tokens: () => this.accessTokens.tokens(),
      nextRenewalAt: () => this.accessTokens.nextRenewalAt(),
      cachesSynced: () => this.synced,
      now: o.now,
    });
  }

  get synced(): boolean {
    return this.caches.all.every((i) => i.synced);
  }

  /** Why the operator is not ready, or undefined. */
  readiness(): string | undefined {
    return cachesReadiness(this.caches, this.apiFailures);
  }

  start(): void {
    for (const informer of this.caches.all) informer.start();
  }

  async whenSynced(): Promise<void> {
    await Promise.all(this.caches.all.map((i) => i.whenSynced()));
  }

  get leading(): boolean {
    return this.manager.running;
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
    if (this.manager.running) return;
    const { log } = this.o;
    await this.whenSynced();
    this.cluster = await clusterIdentity(this.o.client, this.o.clusterName, log, term);
    if (term.aborted) return;
    if (this.o.embeddedRegistration) {
      await registerEmbeddedServer(
        this.o.client,
        this.caches.clusterTokenServers,
        this.o.embeddedRegistration,
        log,
      ).catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, "could not register the embedded server"),
      );
    }
    // Leadership may have ended while registering: the queued stop then finds nothing running.
    if (term.aborted) return;
    this.manager.start();
    this.o.metrics.leader.set(1);
    log.info({ workers: this.o.workers, cluster: this.cluster }, "reconciling");
  }

  private async endLeading(): Promise<void> {
    if (!this.manager.running) return;
    await this.manager.stop();
    await this.accessTokens.stop();
    await this.events.flush();
    this.users.clear();
    this.o.metrics.leader.set(0);
    this.o.log.info("stopped reconciling");
  }

  /** Stops at once without waiting for in-flight reconciles (a crash, for tests). */
  async abandon(): Promise<void> {
    this.leadingSince?.abort();
    this.manager.abandon();
    await this.accessTokens.stop();
    await Promise.all(this.caches.all.map((i) => i.stop()));
  }

  async stop(): Promise<void> {
    await this.stopLeading();
    await Promise.all(this.caches.all.map((i) => i.stop()));
  }
}
