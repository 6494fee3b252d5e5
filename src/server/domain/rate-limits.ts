import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { parseDuration } from "../../core/index.js";
import type { RateLimit } from "./model.js";

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/**
 * Per-token rate limits, counted in this replica's memory (fixed windows that start with a
 * token's first request). One limiter per distinct (limit, window), keyed by token id.
 * Across N replicas behind a balancer, a token can make up to N × limit requests a window.
 */
export function createRateLimits() {
  const limiters = new Map<string, RateLimiterMemory>();

  const limiterFor = (rate: RateLimit): RateLimiterMemory => {
    const key = `${rate.limit}/${rate.window}`;
    let limiter = limiters.get(key);
    if (!limiter) {
      const seconds = (parseDuration(rate.window) ?? 1000) / 1000;
      limiter = new RateLimiterMemory({ points: rate.limit, duration: seconds });
      limiters.set(key, limiter);
    }
    return limiter;
  };

  return {
    async consume(tokenId: string, rate: RateLimit): Promise<RateDecision> {
      try {
        const res = await limiterFor(rate).consume(tokenId, 1);
        return {
          allowed: true,
          limit: rate.limit,
          remaining: res.remainingPoints,
          resetMs: res.msBeforeNext,
        };
      } catch (refused) {
        // The library refuses by rejecting with its result object.
        if (!(refused instanceof RateLimiterRes)) throw refused;
        return { allowed: false, limit: rate.limit, remaining: 0, resetMs: refused.msBeforeNext };
      }
    },
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
