import type { Logger } from "pino";
import type { Store } from "./store.js";

const MIN_INTERVAL_MS = 60_000;

/**
 * lastUsedAt, written at most once a minute per token (per replica), off the request path:
 * a successful verification must not wait for, or fail on, this write.
 */
export function createUsageRecorder(store: Store, log: Logger) {
  const written = new Map<string, number>();
  return {
    record(tokenId: string, now: number): void {
      const last = written.get(tokenId);
      if (last !== undefined && now - last < MIN_INTERVAL_MS) return;
      written.set(tokenId, now);
      if (written.size > 100_000) {
        for (const [id, at] of written) if (now - at >= MIN_INTERVAL_MS) written.delete(id);
      }
      store.tokens.touchLastUsed(tokenId, new Date(now)).catch((err: unknown) => {
        written.delete(tokenId);
        log.warn({ tokenId, err: (err as Error).message }, "could not record lastUsedAt");
      });
    },
  };
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>;
