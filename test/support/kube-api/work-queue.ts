/**
 * A deduplicating queue drained on the next turn of the event loop, so background controllers
 * (garbage collector, namespace and CRD lifecycle) act after the request that triggered them has
 * been answered, as they do in a real cluster.
 */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly process: (key: string) => void,
    private readonly onError: (key: string, err: unknown) => void,
  ) {}

  add(key: string): void {
    this.pending.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  get busy(): boolean {
    return this.scheduled;
  }

  /** Resolves once the queue is empty. */
  idle(): Promise<void> {
    if (!this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private drain(): void {
    // Keys added while draining are handled in this same pass.
    for (let rounds = 0; this.pending.size > 0 && rounds < 10_000; rounds++) {
      const [key] = this.pending;
      if (key === undefined) break;
      this.pending.delete(key);
      try {
        this.process(key);
      } catch (err) {
        this.onError(key, err);
      }
    }
    this.scheduled = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
