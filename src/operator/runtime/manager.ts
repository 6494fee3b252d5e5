import {
  type Controller,
  type ControllerDefinition,
  type ControllerRunner,
  createControllerRunner,
  type RunOptions,
} from "./controller.js";

export interface ManagerOptions extends RunOptions {
  /** Every primary object is queued again this often. */
  resyncMs: number;
}

/**
 * The controllers of one process, started and stopped together (while this replica leads).
 * Each controller owns its queue and keys; the manager adds them up for the metrics.
 */
export interface Manager {
  registerController(def: ControllerDefinition): Controller;
  /** Starts every controller (each queues its objects) and the periodic resync. */
  start(): void;
  /** Stops every controller, waiting for in-flight reconciles. */
  stop(): Promise<void>;
  /** Stops at once, in-flight reconciles abandoned (a crash, for tests). */
  abandon(): void;
  readonly running: boolean;
  /** Keys waiting, over all controllers. */
  readonly depth: number;
  /** Keys scheduled for later, over all controllers. */
  readonly delayed: number;
}

export function createManager(o: ManagerOptions): Manager {
  const runners: ControllerRunner[] = [];
  let resyncTimer: NodeJS.Timeout | undefined;
  const sum = (of: (r: ControllerRunner) => number) => runners.reduce((n, r) => n + of(r), 0);
  return {
    registerController(def) {
      if (runners.some((r) => r.name === def.name))
        throw new Error(`controller ${def.name} registered twice`);
      const runner = createControllerRunner(def, o);
      runners.push(runner);
      return runner;
    },
    start() {
      if (resyncTimer) return;
      for (const r of runners) r.start();
      resyncTimer = setInterval(() => {
        for (const r of runners) r.resync();
      }, o.resyncMs);
      resyncTimer.unref();
    },
    async stop() {
      clearInterval(resyncTimer);
      resyncTimer = undefined;
      await Promise.all(runners.map((r) => r.stop()));
    },
    abandon() {
      clearInterval(resyncTimer);
      resyncTimer = undefined;
      for (const r of runners) r.abandon();
    },
    get running() {
      return resyncTimer !== undefined;
    },
    get depth() {
      return sum((r) => r.depth);
    },
    get delayed() {
      return sum((r) => r.delayed);
    },
  };
}
