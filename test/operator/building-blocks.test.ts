import { describe, expect, it } from "vitest";
import { failureStatus, readyStatus } from "../../src/operator/access-token-status.js";
import { setCondition } from "../../src/operator/conditions.js";
import { Expectations } from "../../src/operator/runtime/expectations.js";
import { matchesSelector } from "../../src/operator/label-selector.js";
import { microTime } from "../../src/operator/runtime/leader-election.js";
import {
  classifySecret,
  desiredSecret,
  fingerprint,
  type Issuance,
  secretDiffers,
} from "../../src/operator/secret-contract.js";
import { CREDITS_LIMIT_METADATA, needsNewSecret, settingsPatch } from "../../src/operator/token-settings.js";
import { WorkQueue } from "../../src/operator/runtime/work-queue.js";
import { resolvedSpec as spec, serverToken } from "../support/access-token-fixtures.js";
import { waitFor } from "../support/wait.js";

/* The operator's pure parts and small machines, without Kubernetes or a token server. */

const at = { name: "storefront", namespace: "shop", uid: "uid-1" };

describe("the work queue", () => {
  it("de-duplicates, never hands out a key twice at once, and re-queues a key added while processing", async () => {
    const q = new WorkQueue({ backoffBaseMs: 10, backoffMaxMs: 100 });
    q.add("a");
    q.add("a");
    q.add("b");
    expect(q.depth).toBe(2);
    const first = await q.get();
    expect(first).toBe("a");
    q.add("a"); // while processing: dirty, not queued
    expect(await q.get()).toBe("b");
    let third: string | undefined;
    void q.get().then((k) => (third = k));
    await Promise.resolve();
    expect(third).toBeUndefined();
    q.done("a");
    await waitFor(() => third === "a");
    q.shutDown();
    expect(await q.get()).toBeUndefined();
  });

  it("backs off per key, exponentially, until forgotten; keeps the earliest delayed add", async () => {
    const q = new WorkQueue({ backoffBaseMs: 40, backoffMaxMs: 1_000 });
    const delays = [q.addRateLimited("x"), q.addRateLimited("x"), q.addRateLimited("x")];
    expect(delays[0]).toBeGreaterThanOrEqual(20);
    expect(delays[2]!).toBeGreaterThanOrEqual(80);
    expect(q.failuresOf("x")).toBe(3);
    q.forget("x");
    expect(q.failuresOf("x")).toBe(0);
    q.addAfter("y", 60_000);
    q.addAfter("y", 5);
    q.addAfter("y", 60_000);
    expect(q.delayed).toBe(2);
    expect(await q.get()).toMatch(/^[xy]$/);
    q.shutDown();
  });
});

describe("expectations", () => {
  it("recognises the operator's own write, also when its event arrives before the response", () => {
    const e = new Expectations(10_000);
    e.beginWrite("k");
    expect(e.observe("k", "5")).toBe("held");
    expect(e.endWrite("k", "5")).toBe(false);
    expect(e.satisfied("k")).toBe(true);

    e.beginWrite("k");
    expect(e.endWrite("k", "7")).toBe(false);
    expect(e.satisfied("k")).toBe(false);
    expect(e.observe("k", "6")).toBe("other");
    expect(e.observe("k", "7")).toBe("own");
    expect(e.satisfied("k")).toBe(true);

    e.beginWrite("k");
    e.observe("k", "8"); // someone else
    expect(e.endWrite("k", "9")).toBe(true);
  });

  it("recognises an earlier write's event arriving while a later write is in flight", () => {
    const e = new Expectations(10_000);
    e.beginWrite("k");
    e.endWrite("k", "1");
    e.beginWrite("k");
    expect(e.observe("k", "1")).toBe("own");
    expect(e.endWrite("k", "2")).toBe(false);
    expect(e.observe("k", "2")).toBe("own");
    expect(e.satisfied("k")).toBe(true);
  });

  it("does not wait for an event a write that changed nothing never sends", () => {
    const e = new Expectations(10_000);
    e.beginWrite("k");
    e.endWrite("k", "3", "3");
    expect(e.satisfied("k")).toBe(true);
  });
});

describe("token settings", () => {
  it("patches exactly what differs; kind and signedRequests need a new secret instead", () => {
    const s = spec({
      type: "custom",
      permissions: ["orders:read"],
      description: "d",
      allowedDomains: ["Shop.example.com"],
      credits: { limit: 10, refill: { amount: 10, interval: "daily" } },
      rateLimit: { limit: 5, window: "1m" },
    });
    const current = serverToken({
      type: "custom",
      permissions: ["orders:read"],
      description: "d",
      allowedDomains: ["shop.example.com"],
      credits: { remaining: 3, refill: { amount: 10, interval: "daily" } },
      rateLimit: { limit: 5, window: "60s" },
      metadata: { [CREDITS_LIMIT_METADATA]: 10 },
    });
    // Spent credits and an equal window spelled differently are not differences.
    expect(settingsPatch(current, at, s)).toBeUndefined();
    expect(
      settingsPatch(current, at, spec({ type: "custom", permissions: ["orders:create"] })),
    ).toMatchObject({
      permissions: ["orders:create"],
      description: "",
      credits: null,
      rateLimit: null,
      allowedDomains: [],
      metadata: {},
    });
    const raised = spec({
      type: "custom",
      permissions: ["orders:read"],
      description: "d",
      allowedDomains: ["shop.example.com"],
      credits: { limit: 20 },
      rateLimit: { limit: 5, window: "1m" },
    });
    expect(settingsPatch(current, at, raised)?.credits).toEqual({ remaining: 20 });
    expect(needsNewSecret(current, spec({ kind: "publishable" }))).toBe(true);
    expect(needsNewSecret(current, spec({ signedRequests: true }))).toBe(true);
    expect(needsNewSecret(current, spec())).toBe(false);
  });
});

describe("the Secret contract", () => {
  const issuance: Issuance = {
    token: "tps_secretvalue",
    tokenId: "8e0c1d1e-1111-4e0e-9d55-2c1f7c6a9e10",
    revision: 2,
    issuedAt: "2025-01-01T00:00:00.000Z",
    reason: "Manual",
    rotateHandled: "now",
    server: "ClusterTokenServer/embedded",
  };

  it("reads back what it writes, from any key names, and notices an edited value", () => {
    const s = spec({ secretTemplate: { keys: { token: "api-key" } } });
    const written = desiredSecret(at, s, issuance, "2025-02-01T00:00:00Z", undefined);
    expect(written.metadata.annotations?.["tokenplane.dev/token-sha256"]).toBe(fingerprint(issuance.token));
    const state = classifySecret(written, at);
    expect(state).toEqual({ state: "owned", issuance });
    const edited = {
      ...written,
      data: { ...written.data, "api-key": Buffer.from("other").toString("base64") },
    };
    expect(classifySecret(edited, at)).toMatchObject({ state: "owned", issuance: undefined });
  });

  it("tells its own Secrets from other AccessTokens' and unmanaged ones", () => {
    const s = spec();
    const ours = desiredSecret(at, s, issuance, null, undefined);
    expect(classifySecret(ours, { ...at, uid: "uid-2" })).toEqual({ state: "adoptable" });
    expect(classifySecret(ours, { ...at, name: "other", uid: "uid-2" })).toMatchObject({ state: "conflict" });
    const foreign = { ...ours, metadata: { ...ours.metadata, labels: {} } };
    expect(classifySecret(foreign, at)).toMatchObject({ state: "conflict" });
    expect(classifySecret(undefined, at)).toEqual({ state: "missing" });
  });

  it("keeps labels other tools added, removes template labels no longer wanted, and writes only on change", () => {
    const withLabel = spec({ secretTemplate: { labels: { team: "shop" } } });
    const first = desiredSecret(at, withLabel, issuance, null, undefined);
    const touched = {
      ...first,
      metadata: { ...first.metadata, labels: { ...first.metadata.labels, other: "x" } },
    };
    expect(secretDiffers(touched, desiredSecret(at, withLabel, issuance, null, touched))).toBe(false);
    const without = desiredSecret(at, spec(), issuance, null, touched);
    expect(without.metadata.labels).toMatchObject({ other: "x" });
    expect(without.metadata.labels?.team).toBeUndefined();
    expect(secretDiffers(touched, without)).toBe(true);
  });
});

describe("status", () => {
  const now = Date.parse("2025-01-10T00:00:00Z");
  const ready = readyStatus(
    undefined,
    {
      generation: 2,
      tokenId: "id-1",
      secretName: "s",
      issuedAt: "2025-01-01T00:00:00Z",
      expiresAt: "2025-02-01T00:00:00Z",
      renewalAt: Date.parse("2025-01-20T00:00:00Z"),
      revision: 1,
      reason: "Initial",
      rotateHandled: undefined,
    },
    now,
  );
  const outage = { reason: "ServerUnavailable", message: "down", transient: true, kubernetes: false };

  it("leaves a Ready token alone during a token server outage when nothing is due", () => {
    expect(
      failureStatus(ready, outage, { generation: 2, secretName: "s", pending: undefined, now }),
    ).toBeUndefined();
  });

  it("keeps Ready while a due rotation fails and the token still works, reporting on Issuing", () => {
    const next = failureStatus(ready, outage, { generation: 2, secretName: "s", pending: "Scheduled", now });
    expect(next?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(next?.conditions?.find((c) => c.type === "Issuing")).toMatchObject({
      status: "True",
      reason: "Scheduled",
    });
  });

  it("is not Ready when a changed spec cannot be applied", () => {
    const next = failureStatus(ready, outage, { generation: 3, secretName: "s", pending: undefined, now });
    expect(next?.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ServerUnavailable",
      observedGeneration: 3,
    });
  });

  it("changes lastTransitionTime only when a condition's status changes", () => {
    const one = setCondition([], { type: "Ready", status: "True", reason: "A", message: "" }, 1, 1_000_000);
    const two = setCondition(one, { type: "Ready", status: "True", reason: "B", message: "m" }, 2, 9_000_000);
    expect(two[0]?.lastTransitionTime).toBe(one[0]?.lastTransitionTime);
    const three = setCondition(
      two,
      { type: "Ready", status: "False", reason: "C", message: "" },
      2,
      9_000_000,
    );
    expect(three[0]?.lastTransitionTime).not.toBe(one[0]?.lastTransitionTime);
  });
});

describe("small helpers", () => {
  it("match label selectors as Kubernetes does", () => {
    const labels = { tokens: "enabled", tier: "gold" };
    expect(matchesSelector(undefined, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { tokens: "enabled" } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { tokens: "disabled" } }, labels)).toBe(false);
    expect(
      matchesSelector({ matchExpressions: [{ key: "tier", operator: "In", values: ["gold"] }] }, labels),
    ).toBe(true);
    expect(
      matchesSelector({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["gold"] }] }, labels),
    ).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: "x", operator: "DoesNotExist" }] }, labels)).toBe(
      true,
    );
    expect(matchesSelector({ matchExpressions: [{ key: "x", operator: "Exists" }] }, labels)).toBe(false);
  });

  it("writes Lease times as metav1.MicroTime (six fractional digits)", () => {
    expect(microTime(Date.parse("2025-01-02T03:04:05.678Z"))).toBe("2025-01-02T03:04:05.678000Z");
  });
});
