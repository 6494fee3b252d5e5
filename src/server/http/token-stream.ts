import type { Request, Response } from "express";
import type { WatchEvent } from "../../api/index.js";
import type { Caller } from "../domain/caller.js";
import type { Change } from "../domain/model.js";
import { type WatchScope, watchTokens } from "../domain/token-watch.js";
import type { Store } from "../domain/store.js";
import { tokenView } from "../edge/views.js";

/** A subscriber this far behind is cut off; it reconnects and gets the current state again. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** setTimeout's longest delay; a later expiry is caught by the heartbeats' checks. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface StreamDeps {
  store: Store;
  heartbeatMs: number;
  /** Throws when the caller may no longer watch `scope` (revoked, expired, permission gone). */
  recheck: () => Promise<void>;
}

/**
 * `subscribe=true`: the watch as NDJSON, one event a line, plus a HEARTBEAT line every
 * `heartbeatMs` so clients and proxies can tell a quiet stream from a dead one. The caller is
 * checked again before the first event after any change, at once when a change concerns its
 * own token or user, before every heartbeat, and when its token expires: the stream ends as
 * soon as it may no longer watch, and the client reconnects to learn why.
 */
export function streamTokens(
  req: Request,
  res: Response,
  caller: Caller,
  scope: WatchScope,
  deps: StreamDeps,
): void {
  const concernsCaller = (change: Change): boolean =>
    change.entity === "all" ||
    (change.entity === "token" && change.id === caller.tokenId) ||
    (change.entity === "user" && change.id === caller.user.id);

  let open = true;
  let dirty = false;
  let checking: Promise<boolean> | undefined;
  let again = false;
  /** One check at a time; a change arriving during a check gets a check of its own after it. */
  const allowed = (): Promise<boolean> => {
    if (checking) {
      again = true;
      return checking;
    }
    checking = deps
      .recheck()
      .then(
        () => true,
        () => false,
      )
      .then((ok) => {
        checking = undefined;
        if (!ok) stop();
        if (!ok || !again) return ok && open;
        again = false;
        return allowed();
      });
    return checking;
  };

  // Before the watch, so a change is marked before the watch turns it into events.
  const unsubscribe = deps.store.onChange((change) => {
    dirty = true;
    if (concernsCaller(change)) void allowed();
  });
  const watch = watchTokens(deps.store, scope, tokenView);

  const write = (event: WatchEvent): void => {
    if (!open) return;
    res.write(`${JSON.stringify(event)}\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) stop();
  };
  const heartbeat = setInterval(() => {
    void allowed().then((ok) => ok && write({ type: "HEARTBEAT" }));
  }, deps.heartbeatMs);
  heartbeat.unref();
  const untilExpiry = caller.limits.expiresAt ? caller.limits.expiresAt.getTime() - Date.now() : undefined;
  const expiry =
    untilExpiry !== undefined && untilExpiry < MAX_TIMER_MS
      ? setTimeout(() => void allowed(), Math.max(0, untilExpiry) + 1)
      : undefined;
  expiry?.unref();

  function stop(): void {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    clearTimeout(expiry);
    unsubscribe();
    watch.close();
    res.end();
  }
  req.on("close", stop);
  res.on("error", stop);

  res.writeHead(200, {
    "content-type": "application/x-ndjson",
    "cache-control": "no-store",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
  void (async () => {
    for (let event = await watch.next(); event && open; event = await watch.next()) {
      if (dirty) {
        dirty = false;
        if (!(await allowed())) break;
      }
      write(event);
    }
    stop();
  })();
}
