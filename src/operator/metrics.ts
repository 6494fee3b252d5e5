import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the gauges read when scraped; the controller provides it once it exists. */
export interface MetricSources {
  queueDepth(): number;
  queueDelayed(): number;
  tokens(): { ready: number; notReady: number };
  /** Epoch ms of the earliest scheduled rotation, if any. */
  nextRenewalAt(): number | undefined;
  cachesSynced(): boolean;
  now(): number;
}

/** The operator's Prometheus metrics, in their own registry (served next to the server's). */
export function createOperatorMetrics() {
  const registry = new Registry();
  const registers = [registry];
  let sources: MetricSources | undefined;
  return {
    registry,
    bind(s: MetricSources) {
      sources = s;
    },
    reconciles: new Counter({
      name: "tokenplane_operator_reconcile_total",
      help: "Reconciles by controller and result (success, error, skipped)",
      labelNames: ["controller", "result"] as const,
      registers,
    }),
    reconcileErrors: new Counter({
      name: "tokenplane_operator_reconcile_errors_total",
      help: "Failed reconciles by controller and reason",
      labelNames: ["controller", "reason"] as const,
      registers,
    }),
    reconcileDuration: new Histogram({
      name: "tokenplane_operator_reconcile_duration_seconds",
      help: "Time per reconcile by controller",
      labelNames: ["controller"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({
      name: "tokenplane_operator_queue_depth",
      help: "Keys waiting to be reconciled (not counting delayed requeues)",
      registers,
      collect() {
        this.set(sources?.queueDepth() ?? 0);
      },
    }),
    queueDelayed: new Gauge({
      name: "tokenplane_operator_queue_delayed",
      help: "Keys scheduled for a later reconcile (renewals, backoff)",
      registers,
      collect() {
        this.set(sources?.queueDelayed() ?? 0);
      },
    }),
    tokensManaged: new Gauge({
      name: "tokenplane_operator_tokens_managed",
      help: "AccessTokens the operator manages, by Ready status",
      labelNames: ["ready"] as const,
      registers,
      collect() {
        const t = sources?.tokens() ?? { ready: 0, notReady: 0 };
        this.set({ ready: "true" }, t.ready);
        this.set({ ready: "false" }, t.notReady);
      },
    }),
    nextRenewal: new Gauge({
      name: "tokenplane_operator_next_renewal_seconds",
      help: "Seconds until the earliest scheduled token rotation (negative when overdue; absent when none)",
      registers,
      collect() {
        this.reset();
        const at = sources?.nextRenewalAt();
        if (at !== undefined && sources) this.set((at - sources.now()) / 1000);
      },
    }),
    tokensIssued: new Counter({
      name: "tokenplane_operator_tokens_issued_total",
      help: "Token values issued into Secrets, by reason (Initial, SpecChanged, Manual, Scheduled, Drift)",
      labelNames: ["reason"] as const,
      registers,
    }),
    leader: new Gauge({
      name: "tokenplane_operator_leader",
      help: "1 while this replica holds the leader lease",
      registers,
    }),
    watchRestarts: new Counter({
      name: "tokenplane_operator_watch_restarts_total",
      help: "Kubernetes watches restarted, by resource and reason (closed, silent, error, relist)",
      labelNames: ["resource", "reason"] as const,
      registers,
    }),
    cachesSynced: new Gauge({
      name: "tokenplane_operator_caches_synced",
      help: "1 once every cache has completed its first list",
      registers,
      collect() {
        this.set(sources?.cachesSynced() ? 1 : 0);
      },
    }),
  };
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
