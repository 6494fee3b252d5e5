import type { VerifyCode } from "../../api/index.js";
import type { Metrics } from "./metrics.js";

export type ObserveRequest = (method: string, status: number, started: number, code?: VerifyCode) => void;

/**
 * Records one request of a route (its template, or "unmatched"): duration, count by status
 * and, for verifications, the result code. Series are bound once per label set, so a
 * request hashes no labels and allocates nothing.
 */
export function routeMetrics(metrics: Metrics, route: string): ObserveRequest {
  const byMethod = new Map<
    string,
    { duration: (seconds: number) => void; byStatus: Map<number, () => void> }
  >();
  const byCode = new Map<VerifyCode, () => void>();
  return (method, status, started, code) => {
    let series = byMethod.get(method);
    if (!series)
      byMethod.set(
        method,
        (series = { duration: metrics.duration.series({ method, route }), byStatus: new Map() }),
      );
    series.duration((performance.now() - started) / 1000);
    let requests = series.byStatus.get(status);
    if (!requests)
      series.byStatus.set(
        status,
        (requests = metrics.requests.series({ method, route, status: String(status) })),
      );
    requests();
    if (code) {
      let verifications = byCode.get(code);
      if (!verifications)
        byCode.set(code, (verifications = metrics.verifications.series({ endpoint: route, code })));
      verifications();
    }
  };
}

/** `routeMetrics` per route label, made on first use (Express learns the route per request). */
export function metricsByRoute(metrics: Metrics): (route: string) => ObserveRequest {
  const routes = new Map<string, ObserveRequest>();
  return (route) => {
    let observe = routes.get(route);
    if (!observe) routes.set(route, (observe = routeMetrics(metrics, route)));
    return observe;
  };
}
