import { backoffDelay } from "./backoff.js";

export interface WorkQueueOptions {
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Longest delay a timer is set for; later requeues are re-armed when it fires. */
  maxDelayMs?: number;
}

/**
 * Keys waiting to be reconciled, with the guarantees controllers need: a key is queued at
 * most once however often it is added; a key being processed is never handed out again
 * until `done` (an add meanwhile marks it dirty and it is queued again then); failures back
 * off per key; delayed adds (e.g. at a token's renewal time) keep only the earliest.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  /** Keys the API server asked not to retry before a time (Retry-After): no add comes sooner. */
  private readonly notBefore = new Map<string, number>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private closed = false;
  private readonly maxDelayMs: number;

  constructor(private readonly options: WorkQueueOptions) {
    this.maxDelayMs = options.maxDelayMs ?? 12 * 3_600_000;
  }

  /** Keys waiting (not counting those being processed or delayed). */
  get depth(): number {
    return this.queue.length - this.head;
  }

  get delayed(): number {
    return this.timers.size;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    const notBefore = this.notBefore.get(key);
    if (notBefore !== undefined) {
      if (notBefore > Date.now()) return this.addAfter(key, notBefore - Date.now());
      this.notBefore.delete(key);
    }
    if (this.queued.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Adds `key` after `delayMs`, unless an earlier delayed add for it is already pending. */
  addAfter(key: string, delayMs: number): void {
    if (this.closed) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const wait = Math.min(delayMs, this.maxDelayMs);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (Date.now() >= at - 5) this.add(key);
      else this.addAfter(key, at - Date.now());
    }, wait);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /**
   * Adds `key` after its per-key backoff (which grows with each failure until `forget`), and
   * not before `atLeastMs` (what the API server asked for with Retry-After).
   */
  addRateLimited(key: string, atLeastMs = 0): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.max(atLeastMs, backoffDelay(n, this.options.backoffBaseMs, this.options.backoffMaxMs));
    if (atLeastMs > 0) this.notBefore.set(key, Date.now() + atLeastMs);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the key's backoff (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
    this.notBefore.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Cancels a pending delayed add (the object is gone). */
  cancel(key: string): void {
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing.timer);
    this.timers.delete(key);
    this.failures.delete(key);
    this.notBefore.delete(key);
  }

  /** The next key to process; undefined once shut down. */
  get(): Promise<string | undefined> {
    while (this.head < this.queue.length) {
      const key = this.queue[this.head++] as string;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; queues it again if it was added meanwhile. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /** Stops handing out keys; waiting `get`s resolve with undefined. */
  shutDown(): void {
    this.closed = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake(undefined);
  }
}
