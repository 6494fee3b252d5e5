import { Counter, type Metric, type Registry } from "prom-client";

/**
 * Metrics bound once per label set, so recording is an array or number increment: prom-client's
 * labelled observe()/inc() validate and hash their labels on every call, which cost the verify
 * fast path about a tenth of its throughput. Values reach prom-client when /metrics is read.
 */

type Labels = Readonly<Record<string, string>>;

export interface BoundMetric<Recorder extends (...args: never[]) => void> {
  series(labels: Labels): Recorder;
}

interface Series {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
}

/** A histogram exported in Prometheus' format by a collector of its own. */
export function boundHistogram(
  registry: Registry,
  options: { name: string; help: string; buckets: readonly number[] },
): BoundMetric<(value: number) => void> {
  const { name, help, buckets } = options;
  const all = new Map<string, Series>();

  const collector = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get() {
      const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
      for (const s of all.values()) {
        let cumulative = 0;
        buckets.forEach((le, i) => {
          cumulative += s.counts[i] ?? 0;
          values.push({ value: cumulative, labels: { ...s.labels, le }, metricName: `${name}_bucket` });
        });
        const count = cumulative + (s.counts[buckets.length] ?? 0);
        values.push({ value: count, labels: { ...s.labels, le: "+Inf" }, metricName: `${name}_bucket` });
        values.push({ value: s.sum, labels: s.labels, metricName: `${name}_sum` });
        values.push({ value: count, labels: s.labels, metricName: `${name}_count` });
      }
      return Promise.resolve({ name, help, type: "histogram", aggregator: "sum", values });
    },
    reset() {
      all.clear();
    },
  };
  // The registry accepts any object that answers get() like a metric; its type lists only
  // prom-client's own classes.
  registry.registerMetric(collector as unknown as Metric);

  return {
    series(labels) {
      const key = JSON.stringify(labels);
      let s = all.get(key);
      if (!s)
        all.set(key, (s = { labels: { ...labels }, counts: new Float64Array(buckets.length + 1), sum: 0 }));
      const series = s;
      return (value) => {
        let i = 0;
        while (i < buckets.length && value > (buckets[i] as number)) i++;
        series.counts[i] = (series.counts[i] ?? 0) + 1;
        series.sum += value;
      };
    },
  };
}

/** A prom-client Counter whose increments are counted here and added to it on each scrape. */
export function boundCounter(
  registry: Registry,
  options: { name: string; help: string; labelNames: readonly string[] },
): BoundMetric<() => void> {
  const pending = new Map<string, { labels: Labels; n: number }>();
  new Counter({
    ...options,
    registers: [registry],
    collect() {
      for (const p of pending.values()) {
        if (p.n === 0) continue;
        this.inc(p.labels, p.n);
        p.n = 0;
      }
    },
  });
  return {
    series(labels) {
      const key = JSON.stringify(labels);
      let p = pending.get(key);
      if (!p) pending.set(key, (p = { labels: { ...labels }, n: 0 }));
      const entry = p;
      return () => {
        entry.n++;
      };
    },
  };
}
