import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { boundCounter, boundHistogram } from "./bound-metrics.js";

/** One registry per server instance, so several servers can live in one process (tests). */
export function createMetrics(sources: { cacheEntries: () => number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "tokenplane_" });
  return {
    registry,
    requests: boundCounter(registry, {
      name: "tokenplane_http_requests_total",
      help: "HTTP requests by route template, method and status",
      labelNames: ["method", "route", "status"],
    }),
    duration: boundHistogram(registry, {
      name: "tokenplane_http_request_duration_seconds",
      help: "HTTP request duration by route template",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    verifications: boundCounter(registry, {
      name: "tokenplane_verifications_total",
      help: "Token verifications (verify API, forward auth) by result code",
      labelNames: ["endpoint", "code"],
    }),
    cacheEntries: new Gauge({
      name: "tokenplane_verification_cache_entries",
      help: "Secrets held in this replica's verification cache",
      registers: [registry],
      collect() {
        this.set(sources.cacheEntries());
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
