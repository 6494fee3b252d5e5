import { parseDuration } from "../../core/index.js";
import type { RateLimit } from "./model.js";

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

interface Window {
  start: number;
  count: number;
}

/**
 * Per-token rate limits counted in this replica's memory: fixed windows that start with a
 * token's first request in them. Synchronous, because it sits on the verification hot
 * path (a promise-based limiter costs an allocation chain per request). Across N replicas
 * behind a balancer, a token can make up to N × limit requests per window.
 */
export function createRateLimits(now: () => number) {
  const windows = new Map<string, Window>();
  const windowMs = new Map<string, number>();
  let sweepAt = 0;

  const lengthOf = (window: string): number => {
    let ms = windowMs.get(window);
    if (ms === undefined) {
      ms = parseDuration(window) ?? 1000;
      windowMs.set(window, ms);
    }
    return ms;
  };

  /** Drops windows that have ended, at most once a minute, so idle tokens cost nothing. */
  const sweep = (at: number): void => {
    if (at < sweepAt) return;
    sweepAt = at + 60_000;
    for (const [id, w] of windows) if (at - w.start >= 86_400_000) windows.delete(id);
  };

  return {
    consume(tokenId: string, rate: RateLimit): RateDecision {
      const at = now();
      const ms = lengthOf(rate.window);
      let w = windows.get(tokenId);
      if (!w || at - w.start >= ms) {
        w = { start: at, count: 0 };
        windows.set(tokenId, w);
        sweep(at);
      }
      w.count++;
      return {
        allowed: w.count <= rate.limit,
        limit: rate.limit,
        remaining: Math.max(0, rate.limit - w.count),
        resetMs: w.start + ms - at,
      };
    },
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
