import { afterEach, describe, expect, it } from "vitest";
import {
  OPERATOR_CLUSTER_RULES,
  OPERATOR_NAMESPACE_RULES,
  runOperator,
  type RunningOperator,
} from "../../src/operator/index.js";
import { customResourceDefinitions } from "../../src/crd/index.js";
import { createLogger } from "../../src/server/index.js";
import { startKubeApi, type KubeApi, type KubeObject } from "../support/kube-api/index.js";
import { FAST_LEASE, fastTiming } from "../support/operator-env.js";
import { LogCapture } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

/*
 * What a first run tells its user: a cluster without the CRDs, an API server that goes away.
 * Each cache and the leader elector retry on their own; the log must still say each cause
 * once (per backoff round), with what to do, instead of one warning per cache per retry.
 */

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const WARN = 40;
let kube: KubeApi | undefined;
let operator: RunningOperator | undefined;

afterEach(async () => {
  await operator?.stop();
  await kube?.close();
  operator = undefined;
  kube = undefined;
});

async function start(crds: boolean): Promise<{ kube: KubeApi; operator: RunningOperator; logs: LogCapture }> {
  kube = await startKubeApi({
    ...(crds ? { crds: customResourceDefinitions() as unknown as KubeObject[] } : {}),
    rbac: { rules: [...OPERATOR_CLUSTER_RULES, ...OPERATOR_NAMESPACE_RULES] },
    bookmarkIntervalMs: 250,
  });
  const logs = new LogCapture();
  operator = await runOperator({
    kubeConfig: kube.kubeConfig(),
    tokenServer: { none: { port: 0, host: "127.0.0.1" } },
    leaderElection: { namespace: "default", timing: FAST_LEASE },
    timing: fastTiming("fixture"),
    log: createLogger({ level: "debug", destination: logs }),
    workers: 1,
  });
  return { kube, operator, logs };
}

const lines = (logs: LogCapture): LogLine[] => logs.lines.map((l) => JSON.parse(l) as LogLine);

async function errorRestarts(op: RunningOperator, resource?: string): Promise<number> {
  const text = await op.metrics.metrics();
  return [...text.matchAll(/^tokenplane_operator_watch_restarts_total\{([^}]*)\} (\d+)/gm)]
    .filter(
      (m) => m[1]!.includes('reason="error"') && (!resource || m[1]!.includes(`resource="${resource}"`)),
    )
    .map((m) => Number(m[2]))
    .reduce((a, b) => a + b, 0);
}

describe("a cluster without the tokenplane CRDs", () => {
  it("says once how to install them, keeps retrying, and becomes ready once they are applied", async () => {
    const env = await start(false);
    await waitFor(() => env.operator.readiness()?.includes("CRDs not installed"), {
      what: "readiness to name the missing CRDs",
    });
    // Several rounds of retries of every tokenplane cache…
    await waitFor(async () => (await errorRestarts(env.operator, "accesstokens")) >= 4, {
      what: "the AccessToken cache to retry",
    });
    const hint = lines(env.logs).filter((l) => l.msg.includes("the tokenplane CRDs are not installed"));
    // …and the explanation exactly once, with the command that fixes it.
    expect(hint).toHaveLength(1);
    expect(hint[0]!.msg).toContain("tokenplane crds | kubectl apply --server-side -f -");
    expect(hint[0]!.msg).toMatch(/listing \S+\.tokenplane\.dev answered 404/);
    expect(lines(env.logs).filter((l) => l.msg === "list/watch failed; retrying")).toEqual([]);
    expect(env.operator.readiness()).toContain("accesstokens.tokenplane.dev");
    expect(env.operator.readiness()).toContain("tokenplane crds | kubectl apply --server-side -f -");

    for (const crd of customResourceDefinitions()) await env.kube.installCrd(crd as unknown as KubeObject);
    await waitFor(() => env.operator.readiness() === undefined, {
      what: "the operator to become ready",
      timeoutMs: 15_000,
    });
    const found = lines(env.logs).filter((l) => /^CRD for \S+ found$/.test(l.msg));
    expect(found.map((l) => l.msg).sort()).toEqual([
      "CRD for accesstokens.tokenplane.dev found",
      "CRD for clustertokenservers.tokenplane.dev found",
      "CRD for tokenresources.tokenplane.dev found",
      "CRD for tokenservers.tokenplane.dev found",
    ]);
  });
});

describe("an unreachable API server", () => {
  it("gets one summary line naming its URL per backoff round, not a warning per cache", async () => {
    const env = await start(true);
    await waitFor(() => env.operator.readiness() === undefined, { what: "ready" });
    await waitFor(() => env.operator.isLeader(), { what: "leading" });
    const before = await errorRestarts(env.operator);
    const from = env.logs.lines.length;
    await env.kube.faults.setAvailability("refused");
    // Five caches, each through a few rounds of backoff.
    await waitFor(async () => (await errorRestarts(env.operator)) - before >= 30, {
      what: "the caches to fail repeatedly",
      timeoutMs: 20_000,
    });
    const failures = (await errorRestarts(env.operator)) - before;
    const outage = lines(env.logs).slice(from);
    const summaries = outage.filter((l) => l.msg.includes("is unreachable"));
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    for (const s of summaries)
      expect(s.msg).toContain(`Kubernetes API server ${env.kube.url} is unreachable`);
    // At most one line per round (measured: 3 lines for 20 failed requests): far fewer than one per failure.
    expect(summaries.length * 3).toBeLessThanOrEqual(failures);
    // Nothing else at warn level repeats per cache or per Lease retry.
    const otherWarnings = outage.filter(
      (l) => l.level >= WARN && !l.msg.includes("is unreachable") && !l.msg.includes("stepping down"),
    );
    expect(otherWarnings.map((l) => l.msg)).toEqual([]);

    await env.kube.faults.setAvailability("up");
    await waitFor(
      () => lines(env.logs).some((l) => l.msg === `Kubernetes API server ${env.kube.url} answers again`),
      { what: "the recovery line", timeoutMs: 15_000 },
    );
    await waitFor(() => env.operator.readiness() === undefined, { what: "ready again" });
  });
});
