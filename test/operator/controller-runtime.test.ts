import { afterEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/operator/kube/objects.js";
import { createOperatorMetrics } from "../../src/operator/metrics.js";
import type { ReconcileResult, Watch } from "../../src/operator/runtime/controller.js";
import { createManager, type Manager } from "../../src/operator/runtime/manager.js";
import { createLogger } from "../../src/server/index.js";
import { LogCapture } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

/* The controller runtime: each registered controller owns its queue and keys. */

/** A watch a test drives by hand: `emit(key)` is a change mapped to that key. */
function manualWatch(): Watch & { emit(key: string): void } {
  const sinks: ((key: string) => void)[] = [];
  return {
    subscribe: (enqueue) => void sinks.push(enqueue),
    emit: (key) => sinks.forEach((enqueue) => enqueue(key)),
  };
}

const objects = (...keys: string[]): { list(): KubeObject[] } => ({
  list: () =>
    keys.map((key) => {
      const [namespace, name] = key.includes("/") ? key.split("/") : [undefined, key];
      return { metadata: { name: name, ...(namespace ? { namespace } : {}) } };
    }),
});

let manager: Manager | undefined;
afterEach(async () => {
  await manager?.stop();
  manager = undefined;
});

function setup() {
  const metrics = createOperatorMetrics();
  const logs = new LogCapture();
  const log = createLogger({ level: "debug", destination: logs });
  const m = createManager({ log, metrics, backoffBaseMs: 5, backoffMaxMs: 20, workers: 2, resyncMs: 60_000 });
  manager = m;
  return { manager: m, metrics, logs };
}

async function counter(
  metrics: ReturnType<typeof createOperatorMetrics>,
  controller: string,
  result: string,
) {
  const values = (await metrics.reconciles.get()).values;
  return values.find((v) => v.labels.controller === controller && v.labels.result === result)?.value ?? 0;
}

describe("the controller runtime", () => {
  it("gives each controller its own keys: the same key in two controllers reaches each reconcile once", async () => {
    const { manager } = setup();
    const seen: string[] = [];
    const shared = manualWatch();
    for (const name of ["A", "B"])
      manager.registerController({
        name,
        primary: objects(),
        watches: [shared],
        reconcile: (key) => {
          seen.push(`${name} ${key}`);
          return Promise.resolve({ result: "success" });
        },
      });
    shared.emit("ns/x"); // not running yet: ignored
    manager.start();
    shared.emit("ns/x");
    await waitFor(() => seen.length === 2);
    expect(seen.sort()).toEqual(["A ns/x", "B ns/x"]);
  });

  it("queues every primary object on start, and maps watch events to keys", async () => {
    const { manager } = setup();
    const seen = new Set<string>();
    const other = manualWatch();
    manager.registerController({
      name: "A",
      primary: objects("shop/one", "cluster-wide"),
      watches: [other],
      reconcile: (key) => {
        seen.add(key);
        return Promise.resolve({ result: "success" });
      },
    });
    manager.start();
    await waitFor(() => seen.size === 2);
    other.emit("shop/two");
    await waitFor(() => seen.has("shop/two"));
    expect([...seen].sort()).toEqual(["cluster-wide", "shop/one", "shop/two"]);
  });

  it("retries a failure with backoff, requeues after a success that asks to, and counts results by controller", async () => {
    const { manager, metrics, logs } = setup();
    const attempts = new Map<string, number>();
    const results: Record<string, (n: number) => ReconcileResult> = {
      flaky: (n) =>
        n < 3 ? { result: "error", reason: "Broken", message: "not yet" } : { result: "success" },
      renewing: (n) => (n < 2 ? { result: "success", requeueAfterMs: 1 } : { result: "success" }),
      throwing: (n) => {
        if (n < 2) throw new Error("unexpected");
        return { result: "success" };
      },
    };
    manager.registerController({
      name: "Retry",
      primary: objects(...Object.keys(results)),
      watches: [],
      logField: "thing",
      reconcile: (key) => {
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        return Promise.resolve(results[key]!(n));
      },
    });
    manager.start();
    await waitFor(
      () => attempts.get("flaky") === 3 && attempts.get("renewing") === 2 && attempts.get("throwing") === 2,
    );
    expect(await counter(metrics, "Retry", "error")).toBe(3);
    const errors = (await metrics.reconcileErrors.get()).values;
    expect(errors.find((v) => v.labels.reason === "Broken")?.value).toBe(2);
    expect(errors.find((v) => v.labels.reason === "Unexpected")?.value).toBe(1);
    await waitFor(() => logs.text.includes('"thing":"flaky"'), { what: "the failure logged under logField" });
  });

  it("stops handing out keys when stopped, and waits for the reconcile in flight", async () => {
    const { manager } = setup();
    const events = manualWatch();
    let release: (() => void) | undefined;
    const started: string[] = [];
    let finished = 0;
    manager.registerController({
      name: "Slow",
      primary: objects(),
      watches: [events],
      reconcile: async (key) => {
        started.push(key);
        await new Promise<void>((resolve) => (release = resolve));
        finished++;
        return { result: "success" };
      },
    });
    manager.start();
    expect(manager.running).toBe(true);
    events.emit("a");
    await waitFor(() => release !== undefined);
    const stopping = manager.stop();
    events.emit("b");
    release!();
    await stopping;
    expect(finished).toBe(1);
    expect(started).toEqual(["a"]);
    expect(manager.running).toBe(false);
  });

  it("refuses a second controller of the same name", () => {
    const { manager } = setup();
    const def = {
      name: "A",
      primary: objects(),
      watches: [],
      reconcile: () => Promise.resolve({ result: "success" as const }),
    };
    manager.registerController(def);
    expect(() => manager.registerController(def)).toThrow(/registered twice/);
  });
});
