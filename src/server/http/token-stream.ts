import type { Request, Response } from "express";
import type { AccessToken, WatchEvent } from "../../api/index.js";
import type { Change, TokenRecord } from "../domain/model.js";
import type { Store } from "../store/store.js";
import { tokenView } from "./views.js";

/** A subscriber this far behind is cut off; it reconnects and gets the current state again. */
const MAX_BUFFERED_BYTES = 1 << 20;

export interface StreamScope {
  userId: string;
  /** Set for `GET .../access-tokens/{id}?subscribe=true`: only that token. */
  tokenId?: string;
}

/**
 * `subscribe=true`: NDJSON of the current state (ADDED), then every change on any replica
 * (ADDED / MODIFIED / DELETED), and a HEARTBEAT line every `heartbeatMs`. Changes are
 * buffered from before the initial read, and revisions keep events in order without
 * repeats.
 */
export async function streamTokens(
  req: Request,
  res: Response,
  store: Store,
  scope: StreamScope,
  heartbeatMs: number,
): Promise<void> {
  const sent = new Map<string, AccessToken>();
  let queue = Promise.resolve();
  let closed = false;

  const write = (event: WatchEvent): void => {
    if (closed) return;
    res.write(`${JSON.stringify(event)}\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) stop();
  };

  const emit = (token: TokenRecord): void => {
    const previous = sent.get(token.id);
    if (previous && previous.revision >= token.revision) return;
    const object = tokenView(token);
    sent.set(token.id, object);
    write({ type: previous ? "MODIFIED" : "ADDED", object });
  };

  const forget = (id: string): void => {
    const previous = sent.get(id);
    if (!previous) return;
    sent.delete(id);
    write({ type: "DELETED", object: previous });
  };

  const readAll = async (): Promise<TokenRecord[]> => {
    if (scope.tokenId) {
      const token = await store.tokens.get(scope.tokenId);
      return token && token.userId === scope.userId ? [token] : [];
    }
    const all: TokenRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.tokens.list(scope.userId, { limit: 500, cursor });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  };

  const resync = async (): Promise<void> => {
    const current = await readAll();
    const ids = new Set(current.map((t) => t.id));
    for (const id of [...sent.keys()]) if (!ids.has(id)) forget(id);
    for (const token of current) emit(token);
  };

  const apply = async (change: Change): Promise<void> => {
    if (change.entity === "all") return resync();
    if (change.entity === "user" && change.id === scope.userId) {
      for (const id of [...sent.keys()]) forget(id);
      return;
    }
    if (change.entity !== "token" || change.userId !== scope.userId) return;
    if (scope.tokenId && change.id !== scope.tokenId) return;
    if (change.op === "delete") return forget(change.id);
    const known = sent.get(change.id);
    if (known && known.revision >= change.revision) return;
    const token = await store.tokens.get(change.id);
    if (token) emit(token);
    else forget(change.id);
  };

  const enqueue = (work: () => Promise<void>): void => {
    queue = queue.then(work).catch(() => stop());
  };

  const unsubscribe = store.onChange((change) => enqueue(() => apply(change)));
  const heartbeat = setInterval(() => write({ type: "HEARTBEAT" }), heartbeatMs);
  heartbeat.unref();

  function stop(): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
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
  enqueue(resync);
}
