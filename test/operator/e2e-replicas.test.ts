import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessToken as ServerToken, Page } from "../../src/api/index.js";
import { serverUserName, type RunningOperator } from "../../src/operator/index.js";
import {
  FAST_LEASE,
  printLogOnFailure,
  startOperatorEnv,
  type OperatorEnv,
} from "../support/operator-env.js";
import { waitFor } from "../support/wait.js";

/*
 * Crashes and replicas: a crash between creating a token and writing its Secret, two
 * replicas with one leader, and a leader handing over when it stops.
 */

let env: OperatorEnv;
printLogOnFailure(() => env);

beforeAll(async () => {
  env = await startOperatorEnv({ name: "replicas" });
  // These tests start their own operators.
  await env.operator.stop();
});

afterAll(async () => {
  await env.startOperator({
    leaderElection: { namespace: env.namespace, identity: "cleanup", timing: FAST_LEASE },
  });
  await env.close();
});

async function lease(): Promise<{ spec: { holderIdentity?: string } } | undefined> {
  return env.kube.get(`/apis/coordination.k8s.io/v1/namespaces/${env.namespace}/leases/tokenplane-operator`);
}

async function reconcileCount(op: RunningOperator): Promise<number> {
  const text = await op.metrics.metrics();
  return [
    ...text.matchAll(/^tokenplane_operator_reconcile_total\{[^}]*controller="AccessToken"[^}]*\} (\d+)/gm),
  ]
    .map((m) => Number(m[1]))
    .reduce((a, b) => a + b, 0);
}

describe("a crash between creating a token and writing its Secret", () => {
  it("is recovered by the next operator without a second token", async () => {
    const crashing = await env.startOperator({
      leaderElection: { namespace: env.namespace, identity: "crashing", timing: FAST_LEASE },
      hooks: {
        // Stop for good right before the Secret is written, as a killed process would.
        beforeSecretWrite: (key) =>
          key.endsWith("/crashy") ? new Promise<void>(() => {}) : Promise.resolve(),
      },
    });
    const at = await env.apply("crashy", { type: "custom", permissions: ["orders:read"] });
    const kubeSystem = await env.kube.get<{ metadata: { uid: string } }>("/api/v1/namespaces/kube-system");
    const api = env.server.server.api("e2e");
    const user = await api.ensureUser(serverUserName(kubeSystem!.metadata.uid, env.namespace));
    const created = await waitFor(() => api.findTokenByExternalId(user.id, at.metadata.uid!), {
      what: "the token to be created",
    });
    expect(await env.secret("crashy")).toBeUndefined();
    await crashing.kill();

    const successor = await env.startOperator({
      leaderElection: { namespace: env.namespace, identity: "successor", timing: FAST_LEASE },
    });
    const ready = await env.ready("crashy");
    expect(ready.status?.tokenId).toBe(created.id);
    const secret = await env.secret("crashy");
    expect((await env.verify(secret!.token, "orders:read")).code).toBe("VALID");
    const all = await env.server.admin<Page<ServerToken>>("GET", `/api/v1/users/${user.id}/access-tokens`);
    expect(all.body.items.filter((t) => t.name === `${env.namespace}/crashy`)).toHaveLength(1);
    await successor.stop();
  });
});

describe("two replicas", () => {
  it("reconcile on the leader only, and hand over when the leader stops", async () => {
    const a = await env.startOperator({
      leaderElection: { namespace: env.namespace, identity: "replica-a", timing: FAST_LEASE },
    });
    const b = await env.startOperator({
      leaderElection: { namespace: env.namespace, identity: "replica-b", timing: FAST_LEASE },
    });
    const leader = await waitFor(() => (a.isLeader() ? a : b.isLeader() ? b : undefined), {
      what: "a leader",
    });
    const follower = leader === a ? b : a;
    expect(follower.isLeader()).toBe(false);
    expect((await lease())?.spec.holderIdentity).toBe(leader.identity);
    // A follower is ready too, once its caches have synced (leadership may come first).
    await waitFor(() => follower.readiness() === undefined, { what: "the follower's caches to sync" });

    await env.apply("led", { type: "read-only" });
    await env.ready("led");
    expect(await reconcileCount(leader)).toBeGreaterThan(0);
    expect(await reconcileCount(follower)).toBe(0);

    await leader.stop();
    expect((await lease())?.spec.holderIdentity).toBeFalsy();
    await waitFor(() => follower.isLeader(), { what: "the follower to take over" });
    await env.apply("after-handover", { type: "read-only" });
    await env.ready("after-handover");
    expect((await lease())?.spec.holderIdentity).toBe(follower.identity);
    await follower.stop();
  });
});

describe("stopping", () => {
  it("finishes the reconcile in progress before releasing the Lease", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    let paused = false;
    const op = await env.startOperator({
      leaderElection: { namespace: env.namespace, identity: "draining", timing: FAST_LEASE },
      hooks: {
        beforeSecretWrite: async (key) => {
          if (!key.endsWith("/drained")) return;
          paused = true;
          await released;
        },
      },
    });
    await env.apply("drained", { type: "read-only" });
    await waitFor(() => paused, { what: "the reconcile to reach the Secret" });
    let stopped = false;
    const stopping = op.stop().then(() => (stopped = true));
    await waitFor(async () => (await lease())?.spec.holderIdentity === "draining");
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect((await lease())?.spec.holderIdentity).toBeFalsy();
    const at = await env.get("drained");
    expect(at?.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(await env.secret("drained")).toBeDefined();
  });
});
