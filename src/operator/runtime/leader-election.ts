import type { Logger } from "pino";
import { sleep } from "./backoff.js";
import type { ApiFailureLog } from "../kube/api-failure-log.js";
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from "../kube/client.js";
import type { KubeObject } from "../kube/objects.js";
import { LEASES, resourcePath } from "../kube/resources.js";

export interface LeaderElectionTiming {
  /** How long a lease is valid after its last renewal (client-go default 15 s). */
  leaseDurationMs: number;
  /** A leader that cannot renew for this long steps down (client-go default 10 s). */
  renewDeadlineMs: number;
  /** How often to try to acquire or renew (client-go default 2 s). */
  retryPeriodMs: number;
}

export const DEFAULT_LEADER_ELECTION_TIMING: LeaderElectionTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  timing?: Partial<LeaderElectionTiming>;
  onStartedLeading: () => void;
  /** Leadership was lost (renewal failed past the deadline) or released. */
  onStoppedLeading: () => void | Promise<void>;
  /** Shared with the caches, so an unreachable API server is one line per round, not one per caller. */
  failures?: ApiFailureLog;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate
 * takes the lease when its holder has not renewed it for a lease duration (measured on this
 * process's clock from when the lease last changed, so clocks need not agree), the leader
 * renews every retry period with resourceVersion preconditions, and a leader that cannot
 * renew within the renew deadline steps down before anyone else may take over.
 */
export class LeaderElector {
  private readonly timing: LeaderElectionTiming;
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;
  private leading = false;
  private observed: { record: string; at: number } | undefined;
  private lease: Lease | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.timing = { ...DEFAULT_LEADER_ELECTION_TIMING, ...options.timing };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get holder(): string | undefined {
    return this.lease?.spec?.holderIdentity ?? undefined;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Stops campaigning; a leader steps down and releases the lease so a successor need not wait. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
    if (this.leading) {
      this.leading = false;
      await this.options.onStoppedLeading();
    }
    await this.release();
  }

  /** Stops without releasing the lease (a crash, for tests). */
  async abandon(): Promise<void> {
    this.stopper.abort();
    await this.running;
    this.leading = false;
  }

  private path(name?: string): string {
    return resourcePath(LEASES, { namespace: this.options.namespace, name });
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    const { log } = this.options;
    let lastRenew = 0;
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
        this.options.failures?.succeeded("leases");
        if (!ok && this.leading && this.holder !== this.options.identity) {
          // Someone else holds a valid lease: never lead alongside them.
          lastRenew = -Infinity;
        }
      } catch (err) {
        if (this.options.failures) this.options.failures.failed("leases", err, this.timing.retryPeriodMs);
        else
          log.warn(
            { err: (err as Error).message, lease: this.options.name },
            "leader election: lease request failed",
          );
      }
      if (signal.aborted) break;
      const now = Date.now();
      if (ok) {
        lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          log.info({ lease: this.options.name, identity: this.options.identity }, "became the leader");
          this.options.onStartedLeading();
        }
      } else if (this.leading && now - lastRenew > this.timing.renewDeadlineMs) {
        this.leading = false;
        log.warn({ lease: this.options.name }, "could not renew the lease in time; stepping down");
        await this.options.onStoppedLeading();
      }
      const jitter = this.leading ? 1 : 1 + Math.random() * 0.2;
      await sleep(this.timing.retryPeriodMs * jitter, signal);
    }
  }

  private spec(now: number, previous: Lease["spec"] | undefined): NonNullable<Lease["spec"]> {
    const mine = previous?.holderIdentity === this.options.identity;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.timing.leaseDurationMs / 1000)),
      acquireTime: mine && previous?.acquireTime ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (mine || !previous?.holderIdentity ? 0 : 1),
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.options;
    const now = Date.now();
    const timeoutMs = Math.min(this.timing.renewDeadlineMs, 10_000);
    const current = await client
      .request<Lease>("GET", this.path(name), { timeoutMs })
      .catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    if (!current) {
      try {
        this.lease = await client.request<Lease>("POST", this.path(), {
          timeoutMs,
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec: this.spec(now, undefined),
          },
        });
        this.observe(this.lease, now);
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    this.lease = current;
    this.observe(current, now);
    const holder = current.spec?.holderIdentity;
    const durationMs = (current.spec?.leaseDurationSeconds ?? 15) * 1000;
    const expired = !holder || (this.observed !== undefined && now - this.observed.at >= durationMs);
    if (holder !== identity && !expired) return false;
    try {
      this.lease = await client.request<Lease>("PUT", this.path(name), {
        timeoutMs,
        body: { ...current, spec: this.spec(now, current.spec) },
      });
      this.observe(this.lease, now);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** Remembers when the lease's record last changed, on this clock. */
  private observe(lease: Lease, now: number): void {
    const record = JSON.stringify(lease.spec ?? {});
    if (this.observed?.record !== record) this.observed = { record, at: now };
  }

  private async release(): Promise<void> {
    const { client, name, identity, log } = this.options;
    try {
      const current = await client.get<Lease>(this.path(name));
      if (!current || current.spec?.holderIdentity !== identity) return;
      const now = Date.now();
      await client.replace(this.path(name), {
        ...current,
        spec: { ...current.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(now) },
      });
      log.info({ lease: name }, "released the lease");
    } catch (err) {
      log.warn({ err: (err as Error).message, lease: name }, "could not release the lease");
    }
  }
}
