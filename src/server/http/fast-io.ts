import type { IncomingMessage } from "node:http";
import type { VerifyCode } from "../../api/index.js";
import type { Metrics } from "./metrics.js";

/**
 * Reads a request body up to `limit` bytes with plain callbacks (no promise per request):
 * `done(body)`, or `done("too-large")` after draining what was sent.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  done: (body: Buffer | "too-large") => void,
): void {
  if (Number(req.headers["content-length"] ?? 0) > limit) {
    req.resume();
    return done("too-large");
  }
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let over = false;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (over) return;
    if (size > limit) {
      over = true;
      first = undefined;
      more = undefined;
      return;
    }
    if (!first) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  req.on("end", () => done(over ? "too-large" : more ? Buffer.concat(more) : (first ?? Buffer.alloc(0))));
}

/** Metric series bound once per route, so recording a request hashes no labels. */
export function routeMetrics(metrics: Metrics, route: string) {
  const byStatus = new Map<string, () => void>();
  const byMethod = new Map<string, (seconds: number) => void>();
  const byCode = new Map<VerifyCode, () => void>();
  return (method: string, status: number, started: number, code?: VerifyCode): void => {
    let duration = byMethod.get(method);
    if (!duration) byMethod.set(method, (duration = metrics.duration.series({ method, route })));
    duration((performance.now() - started) / 1000);
    const statusKey = `${method} ${status}`;
    let requests = byStatus.get(statusKey);
    if (!requests)
      byStatus.set(
        statusKey,
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
