import type { ServerResponse } from "node:http";
import type { ApiError } from "./api-error.js";
import { badRequest, expired, timeoutError } from "./api-error.js";
import type { JsonObject } from "./json.js";
import { namespaceOf } from "./object-meta.js";
import type { ObjectStore, StoreEvent } from "./object-store.js";
import { toView } from "./object-view.js";
import { apiVersionOf, type ResourceDef } from "./resource.js";
import type { Predicate } from "./selection.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchRequest {
  def: ResourceDef;
  namespace: string;
  matches: Predicate;
  resourceVersion: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number | undefined;
}

/** What tests can see of an open watch. */
export interface WatchInfo {
  id: number;
  resource: string;
  namespace: string;
  resourceVersion: string;
  silenced: boolean;
  eventsSent: number;
}

interface Watcher {
  info: WatchInfo;
  req: WatchRequest;
  res: ServerResponse;
  queue: string[];
  timers: NodeJS.Timeout[];
}

function parseRv(text: string): number {
  if (!/^[0-9]+$/.test(text)) throw badRequest(`invalid resource version: ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * Watch streams: replay from history (or the current state for resourceVersion ""/"0"), then
 * live events filtered by namespace and selectors (with the ADDED/DELETED a real watch sends when
 * an object moves in or out of a selector), bookmarks, timeouts, and the fault controls tests use:
 * drop every watch, or make them go silent until resumed.
 */
export class WatchHub {
  private readonly watchers = new Map<string, Set<Watcher>>();
  private nextId = 1;
  private silenced = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly bookmarkIntervalMs: number,
  ) {
    store.subscribe((event) => this.dispatch(event));
  }

  open(req: WatchRequest, res: ServerResponse): void {
    const { def, namespace } = req;
    const initial: string[] = [];
    const rvText = req.resourceVersion;
    let error: ApiError | undefined;
    if (rvText === "" || rvText === "0") {
      for (const obj of this.store.list(
        def.storageKey,
        def.namespaced && namespace ? namespace : undefined,
      )) {
        const view = toView(def, obj);
        if (req.matches(view)) initial.push(line("ADDED", view));
      }
      if (req.sendInitialEvents && req.allowBookmarks) initial.push(this.bookmark(def, true));
    } else {
      const rv = parseRv(rvText);
      if (rv > this.store.currentRv()) {
        error = timeoutError(`Too large resource version: ${rv}, current: ${this.store.currentRv()}`);
      } else {
        const events = this.store.eventsAfter(rv, def.storageKey);
        if (events === "expired") {
          error = expired(`too old resource version: ${rv} (${this.store.oldestRv()})`);
        } else {
          for (const ev of events) {
            const text = this.render(req, ev);
            if (text) initial.push(text);
          }
        }
      }
    }
    res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
    res.flushHeaders();
    if (error) {
      // The real server answers 200 and sends the error as the only event, then ends the stream.
      res.end(JSON.stringify({ type: "ERROR", object: error.status }) + "\n");
      return;
    }
    const watcher: Watcher = {
      info: {
        id: this.nextId++,
        resource: def.group ? `${def.resource}.${def.group}` : def.resource,
        namespace,
        resourceVersion: rvText,
        silenced: this.silenced,
        eventsSent: 0,
      },
      req,
      res,
      queue: [],
      timers: [],
    };
    let set = this.watchers.get(def.storageKey);
    if (!set) this.watchers.set(def.storageKey, (set = new Set()));
    set.add(watcher);
    res.on("close", () => this.forget(watcher));
    for (const text of initial) this.send(watcher, text);
    if (req.allowBookmarks) {
      watcher.timers.push(setInterval(() => this.sendBookmark(watcher), this.bookmarkIntervalMs));
    }
    if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0) {
      watcher.timers.push(setTimeout(() => this.end(watcher), req.timeoutSeconds * 1000));
    }
  }

  private bookmark(def: ResourceDef, initialEventsEnd = false): string {
    const metadata: JsonObject = { resourceVersion: String(this.store.currentRv()) };
    if (initialEventsEnd) metadata.annotations = { "k8s.io/initial-events-end": "true" };
    return line("BOOKMARK", { kind: def.kind, apiVersion: apiVersionOf(def), metadata });
  }

  private sendBookmark(w: Watcher): void {
    if (!w.info.silenced) this.send(w, this.bookmark(w.req.def));
  }

  /** One store event as this watch reports it, or undefined if it is not this watch's business. */
  private render(req: WatchRequest, ev: StoreEvent): string | undefined {
    const { def, namespace } = req;
    if (def.namespaced && namespace && namespaceOf(ev.object) !== namespace) return undefined;
    const now = toView(def, ev.object);
    const was = ev.prev !== undefined && req.matches(toView(def, ev.prev));
    const is = ev.type !== "DELETED" && req.matches(now);
    if (ev.type === "ADDED") return is ? line("ADDED", now) : undefined;
    if (ev.type === "DELETED") return was ? line("DELETED", now) : undefined;
    if (was && is) return line("MODIFIED", now);
    if (is) return line("ADDED", now);
    if (was) return line("DELETED", now);
    return undefined;
  }

  private dispatch(ev: StoreEvent): void {
    for (const w of this.watchers.get(ev.storageKey) ?? []) {
      const text = this.render(w.req, ev);
      if (text) this.send(w, text);
    }
  }

  private send(w: Watcher, text: string): void {
    if (w.info.silenced) {
      w.queue.push(text);
      return;
    }
    w.info.eventsSent++;
    w.res.write(text);
  }

  private forget(w: Watcher): void {
    for (const t of w.timers) clearInterval(t);
    this.watchers.get(w.req.def.storageKey)?.delete(w);
  }

  private end(w: Watcher): void {
    this.forget(w);
    w.res.end();
  }

  private all(): Watcher[] {
    return [...this.watchers.values()].flatMap((s) => [...s]);
  }

  list(): WatchInfo[] {
    return this.all().map((w) => ({ ...w.info }));
  }

  /** Ends every open watch: cleanly (as at a server-side timeout) or by resetting the connection. */
  dropAll(how: "close" | "reset" = "close"): number {
    const all = this.all();
    for (const w of all) {
      if (how === "reset") {
        this.forget(w);
        w.res.socket?.destroy();
      } else {
        this.end(w);
      }
    }
    return all.length;
  }

  /** Ends the watches of a resource that is no longer served (its CRD was deleted). */
  dropResource(storageKey: string): void {
    for (const w of this.watchers.get(storageKey) ?? []) this.end(w);
  }

  /** Open watches (and, until resume, new ones) stay connected but deliver nothing. */
  silence(): void {
    this.silenced = true;
    for (const w of this.all()) w.info.silenced = true;
  }

  /** Silent watches deliver what they held back, in order, and carry on. */
  resume(): void {
    this.silenced = false;
    for (const w of this.all()) {
      w.info.silenced = false;
      const queued = w.queue;
      w.queue = [];
      for (const text of queued) this.send(w, text);
    }
  }

  sendBookmarks(): void {
    for (const w of this.all()) if (w.req.allowBookmarks) this.sendBookmark(w);
  }

  closeAll(): void {
    for (const w of this.all()) {
      this.forget(w);
      w.res.socket?.destroy();
    }
  }
}

function line(type: WatchEventType, object: JsonObject): string {
  return JSON.stringify({ type, object }) + "\n";
}
