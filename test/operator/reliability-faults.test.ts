import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningOperator } from "../../src/operator/index.js";
import { ROTATE_ANNOTATION } from "../../src/crd/index.js";
import type { KubeApi } from "../support/kube-api/index.js";
import { startKubeProxy, type KubeProxy, type ProxiedRequest } from "../support/kube-proxy.js";
import { FAST_LEASE, fastTiming, startOperatorEnv, type OperatorEnv } from "../support/operator-env.js";
import { listTokens, namespaceUserId } from "../support/server-tokens.js";
import { TokenServerTap } from "../support/token-server-faults.js";
import { waitFor } from "../support/wait.js";

/*
 * Faults the other operator suites do not cover (fixture-faults: 409, 410, 500, dropped and
 * silent watches, an API server that goes away; e2e-servers: a token server that goes away;
 * e2e-replicas: a crash between creating a token and writing its Secret):
 *
 * - an API server shedding load with 429 and Retry-After, on reads and on writes: the operator
 *   waits at least as long as asked, then converges;
 * - the operator killed at every step of a reconcile, a rotation and a deletion: a fresh
 *   operator converges with exactly one live token per AccessToken, no orphans, no stray values.
 *
 * The operator talks to the fixture through a recording proxy (test/support/kube-proxy.ts),
 * which also stops requests at the point a crash would.
 */

let env: OperatorEnv;
let kube: KubeApi;
let proxy: KubeProxy;
let tap: TokenServerTap;

beforeAll(async () => {
  env = await startOperatorEnv({ name: "faults2", fixture: true });
  kube = env.target.fixture!;
  // These tests run their own operators.
  await env.operator.stop();
  proxy = await startKubeProxy(kube);
  tap = new TokenServerTap();
});

afterAll(async () => {
  kube.faults.clear();
  tap.clear();
  await env.startOperator({
    leaderElection: { namespace: env.namespace, identity: "cleanup", timing: FAST_LEASE },
  });
  await env.close();
  await proxy.close();
  expect(kube.unexpectedErrors()).toEqual([]);
});

function startOperator(
  identity: string,
  extra: { proxied?: boolean; workers?: number } = {},
): Promise<RunningOperator> {
  return env.startOperator({
    ...(extra.proxied ? { kubeConfig: proxy.kubeConfig() } : {}),
    tokenServer: { attached: tap.attach(env.server.server) },
    leaderElection: { namespace: env.namespace, identity, timing: FAST_LEASE },
    // No resync during these tests: a retry must come from the operator's own backoff.
    timing: { ...fastTiming("fixture"), resyncMs: 600_000 },
    ...(extra.workers ? { workers: extra.workers } : {}),
  });
}

const bodyName = (r: ProxiedRequest) =>
  (r.json as { metadata?: { name?: string } } | undefined)?.metadata?.name;

/** For each request the proxy saw answered with 429, the next one of the same kind to the same object. */
function retriesOf(
  refused: ProxiedRequest[],
): { refused: ProxiedRequest; retry: ProxiedRequest | undefined }[] {
  return refused.map((r) => ({
    refused: r,
    retry: proxy.requests
      .slice(proxy.requests.indexOf(r) + 1)
      .find(
        (x) =>
          x.method === r.method &&
          x.path === r.path &&
          x.query.includes("watch=true") === r.query.includes("watch=true") &&
          bodyName(x) === bodyName(r),
      ),
  }));
}

describe("429 Too Many Requests with Retry-After", () => {
  it("is honoured on reads (get, list, watch) and writes (create, patch, status): no retry sooner than asked, then convergence", async () => {
    const start = proxy.requests.length;
    // Starting to lead reads the cluster's identity (the kube-system namespace).
    const identity = kube.faults.inject({
      verb: "get",
      resource: "namespaces",
      status: 429,
      retryAfterSeconds: 1,
    });
    const op = await startOperator("throttled", { proxied: true });
    try {
      await waitFor(() => op.isLeader(), { what: "the operator to lead" });
      expect(identity.hits()).toBe(1);

      const writes = [
        kube.faults.inject({
          resource: "accesstokens",
          subresource: "",
          verb: "patch",
          status: 429,
          retryAfterSeconds: 1,
        }),
        kube.faults.inject({ resource: "secrets", verb: "create", status: 429, retryAfterSeconds: 1 }),
        kube.faults.inject({
          resource: "accesstokens",
          subresource: "status",
          status: 429,
          retryAfterSeconds: 1,
        }),
      ];
      await env.apply("throttled", { type: "read-only" });
      await env.ready("throttled");
      for (const f of writes) expect(f.hits()).toBe(1);

      // The caches: a watch refused; a relist (after 410 Gone) refused.
      const rewatch = kube.faults.inject({
        verb: "watch",
        resource: "secrets",
        status: 429,
        retryAfterSeconds: 1,
      });
      const relist = kube.faults.inject({
        verb: "list",
        resource: "accesstokens",
        status: 429,
        retryAfterSeconds: 1,
      });
      kube.faults.inject({ verb: "watch", resource: "accesstokens", status: 410 });
      kube.watches.dropAll("close");
      await waitFor(() => rewatch.hits() === 1 && relist.hits() === 1, {
        what: "the refused watch and list",
      });
      await env.apply("after-throttling", { type: "read-only" });
      await env.ready("after-throttling");

      const refused = proxy.requests.slice(start).filter((r) => r.status === 429);
      expect(refused).toHaveLength(6);
      for (const { refused: r, retry } of retriesOf(refused)) {
        const what = `${r.method} ${r.path}${r.query}`;
        expect(retry, `a retry of ${what}`).toBeDefined();
        // Retry-After: 1 second (a timer may fire a few ms early against Date.now).
        expect(retry!.at - r.at, what).toBeGreaterThanOrEqual(990);
      }
      // The tokens are the namespace's server user's (the cluster identity was waited for).
      const tokens = await listTokens(env.server, await namespaceUserId(env));
      for (const name of ["throttled", "after-throttling"])
        expect(
          tokens.filter((t) => t.name === `${env.namespace}/${name}`),
          name,
        ).toHaveLength(1);
    } finally {
      // A failure here must not leave a leader behind for the next test.
      kube.faults.clear();
      await op.stop();
    }
  });
});

describe("the operator killed at each step", () => {
  it("leaves nothing a fresh operator cannot finish: one live token per AccessToken, none orphaned, no stray values", async () => {
    const ns = env.namespace;
    const spec = { type: "custom", permissions: ["orders:read"] };
    tap.issued.clear();
    // Prepared by an operator that stops cleanly: one to rotate and one to delete mid-way.
    const prep = await startOperator("prep");
    await env.apply("rotating", spec);
    await env.apply("deleting", spec);
    const rotating = await env.ready("rotating");
    const deleting = await env.ready("deleting");
    const deletingToken = (await env.secret("deleting"))!.token;
    await prep.stop();

    const steps = {
      // The finalizer is written; the token is not created yet.
      "after-finalizer": proxy.hold(
        (r) => r.method === "PATCH" && r.path.endsWith(`/namespaces/${ns}/accesstokens/after-finalizer`),
        "response",
      ).reached,
      // The token is created on the server; the answer is lost.
      "after-create": tap.hangAfter(
        "createToken",
        ([, body]) => (body as { name?: string }).name === `${ns}/after-create`,
      ).reached,
      // The Secret is written; the status is not.
      "after-secret": proxy.hold(
        (r) =>
          r.method === "POST" &&
          r.path.endsWith("/secrets") &&
          !r.query.includes("dryRun") &&
          bodyName(r) === "after-secret",
        "response",
      ).reached,
      // The status write never reaches the API server.
      "before-status": proxy.hold(
        (r) => r.method === "PATCH" && r.path.endsWith("/accesstokens/before-status/status"),
        "request",
      ).reached,
      // The status is written; the answer is lost.
      "after-status": proxy.hold(
        (r) => r.method === "PATCH" && r.path.endsWith("/accesstokens/after-status/status"),
        "response",
      ).reached,
      // A rotation: the new value exists on the server, the Secret still holds the old one.
      rotating: tap.hangAfter("regenerateToken", ([, id]) => id === rotating.status?.tokenId).reached,
      // A deletion: the token is revoked, the finalizer is still there.
      deleting: tap.hangAfter("revokeToken", ([, id]) => id === deleting.status?.tokenId).reached,
    };
    const reached = new Set<string>();
    for (const [step, p] of Object.entries(steps)) void p.then(() => reached.add(step));

    const crashing = await startOperator("crashing", { proxied: true, workers: 10 });
    for (const n of ["after-finalizer", "after-create", "after-secret", "before-status", "after-status"])
      await env.apply(n, spec);
    await env.kube.mergePatch(env.path("accesstokens", "rotating"), {
      metadata: { annotations: { [ROTATE_ANNOTATION]: "crash" } },
    });
    await env.kube.request("DELETE", env.path("accesstokens", "deleting"));
    await waitFor(() => reached.size === Object.keys(steps).length, {
      what: `every step to be reached (so far: ${[...reached].join(", ")})`,
      timeoutMs: 20_000,
    });
    await crashing.kill();
    proxy.dropHeld();

    const successor = await startOperator("successor");
    const names = [
      "after-finalizer",
      "after-create",
      "after-secret",
      "before-status",
      "after-status",
      "rotating",
    ];
    for (const n of names)
      await env.ready(n, n === "rotating" ? (at) => at.status?.lastRotateAnnotation === "crash" : undefined);
    await waitFor(async () => (await env.get("deleting")) === undefined, {
      what: "the deletion to complete",
    });

    const tokens = await listTokens(env.server, await namespaceUserId(env));
    const live = new Set<string>();
    for (const n of names) {
      const at = (await env.get(n))!;
      const secret = (await env.secret(n))!;
      const mine = tokens.filter((t) => t.externalId === at.metadata.uid);
      expect(mine, n).toHaveLength(1);
      expect(mine[0]!.id).toBe(at.status?.tokenId);
      expect(secret.tokenId).toBe(at.status?.tokenId);
      expect((await env.verify(secret.token, "orders:read")).code, n).toBe("VALID");
      live.add(secret.token);
    }
    // Nothing else: no token for the deleted AccessToken, none without an AccessToken.
    const all = await env.kube.request<{ items: { metadata: { uid: string } }[] }>(
      "GET",
      env.path("accesstokens"),
    );
    const uids = new Set(all.items.map((at) => at.metadata.uid));
    expect(tokens.filter((t) => !uids.has(t.externalId ?? "")).map((t) => t.name)).toEqual([]);
    expect((await env.verify(deletingToken)).code).toBe("NOT_FOUND");
    // Every value ever issued that is not in a Secret is dead (no grace period was asked for).
    for (const value of tap.issued)
      if (!live.has(value)) expect(["NOT_FOUND", "EXPIRED"]).toContain((await env.verify(value)).code);
    expect((await env.get("rotating"))?.status?.revision).toBe(2);
    await successor.stop();
  }, 60_000);
});
