import type { Request, Response } from "express";
import type { WatchEvent } from "../../api/index.js";
import { type WatchScope, watchTokens } from "../domain/token-watch.js";
import type { Store } from "../store/store.js";
import { tokenView } from "./views.js";

/** A subscriber this far behind is cut off; it reconnects and gets the current state again. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * `subscribe=true`: the watch as NDJSON, one event a line, plus a HEARTBEAT line every
 * `heartbeatMs` so clients and proxies can tell a quiet stream from a dead one.
 */
export function streamTokens(
  req: Request,
  res: Response,
  store: Store,
  scope: WatchScope,
  heartbeatMs: number,
): void {
  const watch = watchTokens(store, scope, tokenView);
  let open = true;
  const write = (event: WatchEvent): void => {
    if (!open) return;
    res.write(`${JSON.stringify(event)}\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) stop();
  };
  const heartbeat = setInterval(() => write({ type: "HEARTBEAT" }), heartbeatMs);
  heartbeat.unref();
  function stop(): void {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
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
    for (let event = await watch.next(); event; event = await watch.next()) write(event);
    stop();
  })();
}
