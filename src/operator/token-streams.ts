import type { Logger } from "pino";
import type { AccessToken as ServerToken, TokenServerApi } from "../api/index.js";
import { backoffDelay, sleep } from "./runtime/backoff.js";

export interface StreamTarget {
  /** `ClusterTokenServer/central` */
  serverKey: string;
  namespace: string;
  userId: string;
}

export interface TokenStreamHandlers {
  /** A token of the namespace's server user changed or was deleted on the server. */
  onChange(type: "ADDED" | "MODIFIED" | "DELETED", token: ServerToken, target: StreamTarget): void;
  /** The stream (re)connected: changes may have been missed meanwhile. */
  onReconnect(target: StreamTarget): void;
  /** The API to use for a target (resolved again on every reconnect: credentials may have changed). */
  api(target: StreamTarget): Promise<TokenServerApi>;
}

/**
 * One supervised change stream (`watchTokens`, i.e. `subscribe=true`) per server user the
 * operator issues tokens as — one per (server, namespace). It is how a token revoked or changed
 * behind the operator's back is noticed within seconds; a stream that ends is reconnected
 * with backoff, and a reconnect re-checks the namespace's AccessTokens.
 */
export class TokenStreams {
  private readonly streams = new Map<
    string,
    { stop: AbortController; done: Promise<void>; userId: string }
  >();

  constructor(
    private readonly handlers: TokenStreamHandlers,
    private readonly log: Logger,
    private readonly backoff: { baseMs: number; maxMs: number },
  ) {}

  get size(): number {
    return this.streams.size;
  }

  ensure(target: StreamTarget): void {
    const key = `${target.serverKey}|${target.namespace}`;
    const existing = this.streams.get(key);
    if (existing?.userId === target.userId) return;
    // The server behind the reference changed (another user id): follow the new one.
    existing?.stop.abort();
    const stop = new AbortController();
    const done = this.run(target, stop.signal);
    this.streams.set(key, { stop, done, userId: target.userId });
  }

  async stopAll(): Promise<void> {
    const all = [...this.streams.values()];
    this.streams.clear();
    for (const s of all) s.stop.abort();
    await Promise.all(all.map((s) => s.done));
  }

  private async run(target: StreamTarget, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let first = true;
    while (!signal.aborted) {
      let received = false;
      try {
        const api = await this.handlers.api(target);
        const stream = api.watchTokens(target.userId);
        const onAbort = () => stream.close();
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          for (;;) {
            const event = await stream.next();
            if (event === undefined) break;
            if (!received && !first) this.handlers.onReconnect(target);
            received = true;
            first = false;
            if (event.type === "HEARTBEAT") continue;
            this.handlers.onChange(event.type, event.object, target);
          }
        } finally {
          signal.removeEventListener("abort", onAbort);
          stream.close();
        }
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn(
          { server: target.serverKey, namespace: target.namespace, err: (err as Error).message },
          "token server change stream failed",
        );
      }
      if (signal.aborted) break;
      failures = received ? 0 : failures + 1;
      await sleep(backoffDelay(failures, this.backoff.baseMs, this.backoff.maxMs), signal);
    }
  }
}
