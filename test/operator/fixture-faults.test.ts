import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessToken as ServerToken, Page } from "../../src/api/index.js";
import type { KubeApi } from "../support/kube-api/index.js";
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env.js";
import { waitFor } from "../support/wait.js";

/*
 * The operator against a misbehaving Kubernetes API: conflicts, server errors, expired
 * resourceVersions, dropped and silent watches, an API server that goes away. These need the
 * fixture's fault controls, so they always run on the fixture (also when the end-to-end suite
 * targets a real cluster). Everything runs with the operator's RBAC enforced.
 */

let env: OperatorEnv;
let kube: KubeApi;

beforeAll(async () => {
  env = await startOperatorEnv({ name: "faults", fixture: true });
  kube = env.target.fixture!;
});

afterAll(async () => {
  kube.faults.clear();
  kube.watches.resume();
  await env?.close();
  expect(kube.unexpectedErrors()).toEqual([]);
});

async function tokensNamed(name: string): Promise<ServerToken[]> {
  const secret = await env.secret(name);
  const userId = (await env.verify(secret!.token)).userId!;
  const page = await env.server.admin<Page<ServerToken>>(
    "GET",
    `/api/v1/users/${userId}/access-tokens?limit=500`,
  );
  return page.body.items.filter((t) => t.name === `${env.namespace}/${name}`);
}

async function restarts(reason: string): Promise<number> {
  const text = await env.operator.metrics.metrics();
  return [
    ...text.matchAll(
      new RegExp(`^tokenplane_operator_watch_restarts_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)`, "gm"),
    ),
  ]
    .map((m) => Number(m[1]))
    .reduce((a, b) => a + b, 0);
}

describe("API errors", () => {
  it("retries 409 conflicts on every write it makes, and ends with one token", async () => {
    const faults = [
      kube.faults.inject({ resource: "accesstokens", subresource: "", verb: "patch", status: 409, count: 2 }),
      kube.faults.inject({ resource: "accesstokens", subresource: "status", status: 409, count: 2 }),
      kube.faults.inject({ resource: "secrets", verb: "create", status: 409, count: 1 }),
    ];
    await env.apply("conflicts", { type: "read-only" });
    await env.ready("conflicts");
    for (const f of faults) expect(f.hits()).toBeGreaterThan(0);
    expect(await tokensNamed("conflicts")).toHaveLength(1);
    expect((await env.verify((await env.secret("conflicts"))!.token)).code).toBe("VALID");
  });

  it("retries 500s with backoff, recovering a token whose Secret could not be written", async () => {
    const secretFault = kube.faults.inject({ resource: "secrets", verb: "create", status: 500, count: 3 });
    const statusFault = kube.faults.inject({
      resource: "accesstokens",
      subresource: "status",
      status: 500,
      count: 2,
    });
    await env.apply("errors", { type: "custom", permissions: ["orders:read"] });
    await env.ready("errors");
    expect(secretFault.hits()).toBe(3);
    expect(statusFault.hits()).toBe(2);
    expect(await tokensNamed("errors")).toHaveLength(1);
    expect((await env.verify((await env.secret("errors"))!.token, "orders:read")).code).toBe("VALID");
  });

  it("relists after 410 Gone (watch and list) and keeps reacting", async () => {
    const before = await restarts("relist");
    kube.faults.inject({ verb: "watch", status: 410, count: 2 });
    kube.history.compact();
    kube.watches.dropAll("close");
    await waitFor(async () => (await restarts("relist")) > before, { what: "a relist" });
    await env.apply("after-gone", { type: "read-only" });
    await env.ready("after-gone");
  });
});

describe("watches", () => {
  it("resumes watches that are dropped, cleanly or by a reset connection", async () => {
    for (const how of ["close", "reset"] as const) {
      expect(kube.watches.dropAll(how)).toBeGreaterThan(0);
      const name = `dropped-${how}`;
      await env.apply(name, { type: "read-only" });
      await env.ready(name);
      await waitFor(() => kube.watches.open().length >= 5, { what: "the watches to be back" });
    }
  });

  it("restarts watches that go silent, and catches up when they speak again", async () => {
    const before = await restarts("silent");
    kube.watches.silence();
    try {
      await env.apply("silenced", { type: "read-only" });
      await waitFor(async () => (await restarts("silent")) > before, {
        what: "the watchdog",
        timeoutMs: 15_000,
      });
    } finally {
      kube.watches.resume();
    }
    await env.ready("silenced");
  });

  it("rides out an API server that refuses connections, then answers 503s: steps down, then leads again", async () => {
    const errors = await restarts("error");
    await kube.faults.setAvailability("refused");
    kube.create({
      apiVersion: "tokenplane.dev/v1alpha1",
      kind: "AccessToken",
      metadata: { name: "outage", namespace: env.namespace },
      spec: { type: "read-only" },
    });
    await waitFor(async () => (await restarts("error")) > errors, { what: "failing watches" });
    await kube.faults.setAvailability("unavailable");
    // A leader that cannot renew its Lease within the renew deadline stops reconciling.
    await waitFor(() => !env.operator.isLeader(), { what: "the leader to step down" });
    await kube.faults.setAvailability("up");
    await waitFor(() => env.operator.isLeader(), { what: "leading again" });
    await env.ready("outage", undefined, 20_000);
  });
});

describe("the write budget (quality.md: ≤ 3 Kubernetes writes per AccessToken on the happy path)", () => {
  it("creates N AccessTokens with 3 writes each (finalizer, Secret, status) plus one Event, and no 403s", async () => {
    const n = 20;
    kube.requests.clear();
    await Promise.all(Array.from({ length: n }, (_, i) => env.apply(`budget-${i}`, { type: "read-only" })));
    await Promise.all(Array.from({ length: n }, (_, i) => env.ready(`budget-${i}`)));
    await kube.settle();
    const writes = kube.requests.writesByResource();
    const perToken =
      (writes["accesstokens.tokenplane.dev"]?.patch ?? 0) +
      (writes["accesstokens.tokenplane.dev/status"]?.patch ?? 0) +
      (writes.secrets?.create ?? 0) +
      (writes.secrets?.update ?? 0);
    // Everything the test itself sent (the creates) is not the operator's.
    expect(writes["accesstokens.tokenplane.dev"]?.create).toBe(n);
    expect(perToken).toBe(3 * n);
    expect(writes.events?.create).toBe(n);
    const denied = kube.requests.entries().filter((r) => r.status === 403);
    expect(denied).toEqual([]);
  });
});
