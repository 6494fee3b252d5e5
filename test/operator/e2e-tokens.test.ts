import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { displayPrefix } from "../../src/core/index.js";
import { serverUserName } from "../../src/operator/index.js";
import { ROTATE_ANNOTATION } from "../../src/crd/index.js";
import {
  readyCondition,
  printLogOnFailure,
  startOperatorEnv,
  type OperatorEnv,
} from "../support/operator-env.js";
import { waitFor } from "../support/wait.js";

/*
 * AccessToken → token → Secret, end to end: the operator, the token server and a Kubernetes
 * API (the fixture, or a real cluster with TOKENPLANE_TEST_KUBECONFIG). Every assertion is
 * made the way a user would check: over the Kubernetes API, and by verifying the token.
 */

let env: OperatorEnv;
printLogOnFailure(() => env);

beforeAll(async () => {
  env = await startOperatorEnv({ name: "tokens" });
});

afterAll(async () => {
  await env?.close();
  expect(env.logs.text).not.toMatch(/tp[sp]_[0-9A-Za-z]{49}/);
});

async function conflictFailures(): Promise<number> {
  const text = await env.operator.metrics.metrics();
  return Number(
    /^tokenplane_operator_reconcile_errors_total\{[^}]*reason="SecretConflict"[^}]*\} (\d+)/m.exec(
      text,
    )?.[1] ?? 0,
  );
}

describe("issuing", () => {
  it("writes a token that verifies with exactly the declared permissions, and reports it in status", async () => {
    await env.apply("storefront", {
      type: "custom",
      permissions: ["orders:read", "articles:read"],
      description: "read-only token for the storefront",
      duration: "30d",
      secretTemplate: { name: "storefront-token" },
    });
    const at = await env.ready("storefront");
    const secret = await env.secret("storefront-token");
    expect(secret).toBeDefined();
    const { token, tokenId, expiresAt } = secret!;
    expect((await env.verify(token, "orders:read")).code).toBe("VALID");
    expect((await env.verify(token, "articles:read")).code).toBe("VALID");
    expect((await env.verify(token, "orders:create")).code).toBe("FORBIDDEN");
    expect((await env.verify(token)).permissions?.sort()).toEqual(["articles:read", "orders:read"]);

    expect(at.status).toMatchObject({
      observedGeneration: at.metadata.generation,
      tokenId,
      secretName: "storefront-token",
      revision: 1,
      lastRotationReason: "Initial",
    });
    expect(at.status?.expiresAt).toBe(expiresAt);
    // A third of 30 days before expiry.
    const renewsBeforeExpiry = Date.parse(at.status!.expiresAt!) - Date.parse(at.status!.renewalTime!);
    expect(Math.abs(renewsBeforeExpiry - 10 * 86_400_000)).toBeLessThan(1_000);
    for (const c of at.status?.conditions ?? []) expect(c.observedGeneration).toBe(at.metadata.generation);
    expect(at.metadata.finalizers).toContain("tokenplane.dev/revoke");

    const owner = secret!.raw.metadata.ownerReferences?.[0];
    expect(owner).toMatchObject({
      kind: "AccessToken",
      name: "storefront",
      uid: at.metadata.uid,
      controller: true,
    });
    expect(secret!.raw.metadata.labels).toMatchObject({
      "app.kubernetes.io/managed-by": "tokenplane",
      "tokenplane.dev/access-token": "storefront",
    });
    expect(secret!.raw.type).toBe("Opaque");
    expect(await env.events("storefront")).toContainEqual(
      expect.objectContaining({ reason: "Issued", type: "Normal" }),
    );

    // A new duration moves the expiry of the same token; the Secret keeps its token.
    await env.patch("storefront", { spec: { duration: "90d" } });
    const longer = await env.ready("storefront", (x) => x.status?.expiresAt !== at.status?.expiresAt);
    expect(Date.parse(longer.status!.expiresAt!) - Date.now()).toBeGreaterThan(80 * 86_400_000);
    expect(longer.status?.revision).toBe(1);
    const updated = await waitFor(async () => {
      const s = await env.secret("storefront-token");
      return s?.expiresAt === longer.status?.expiresAt && s;
    });
    expect(updated.token).toBe(token);
  });

  it("applies the Secret template: type, key names, labels and annotations (never the AccessToken's own)", async () => {
    await env.apply(
      "templated",
      {
        type: "full-access",
        secretTemplate: {
          type: "example.com/token",
          keys: { token: "api-key", tokenId: "id", expiresAt: "expiry" },
          labels: { team: "shop" },
          annotations: { "example.com/owner": "shop-team" },
        },
      },
      { annotations: { "not-copied": "x" } },
    );
    await env.ready("templated");
    const secret = await env.secret("templated");
    expect(secret?.raw.type).toBe("example.com/token");
    expect(Object.keys(secret!.data).sort()).toEqual(["api-key", "id"]);
    expect((await env.verify(secret!.data["api-key"]!, "orders:delete")).code).toBe("VALID");
    expect(secret?.raw.metadata.labels?.team).toBe("shop");
    expect(secret?.raw.metadata.annotations?.["example.com/owner"]).toBe("shop-team");
    expect(secret?.raw.metadata.annotations?.["not-copied"]).toBeUndefined();

    // Removing a template label removes it; a label someone else added stays.
    await env.kube.mergePatch(env.path("secrets", "templated"), { metadata: { labels: { other: "tool" } } });
    await env.patch("templated", { spec: { secretTemplate: { labels: null, keys: { token: "key" } } } });
    const rekeyed = await waitFor(async () => {
      const s = await env.secret("templated");
      return s?.data.key !== undefined && s;
    });
    expect(rekeyed.data.key).toBe(secret!.data["api-key"]);
    expect(rekeyed.raw.metadata.labels?.team).toBeUndefined();
    expect(rekeyed.raw.metadata.labels?.other).toBe("tool");
  });

  it("changing permissions changes what the same Secret's token may do, without touching the Secret", async () => {
    await env.apply("perms", { type: "custom", permissions: ["orders:read"] });
    await env.ready("perms");
    const before = await env.secret("perms");
    expect((await env.verify(before!.token, "orders:create")).code).toBe("FORBIDDEN");

    await env.patch("perms", {
      spec: { permissions: ["orders:read", "orders:create"], description: "now writes", allowedIps: [] },
    });
    await env.ready("perms");
    await waitFor(async () => (await env.verify(before!.token, "orders:create")).code === "VALID", {
      what: "the new permission to take effect",
    });
    const after = await env.secret("perms");
    expect(after?.raw.metadata.resourceVersion).toBe(before?.raw.metadata.resourceVersion);
    expect((await env.get("perms"))?.status?.revision).toBe(1);
    expect(await env.events("perms")).toContainEqual(expect.objectContaining({ reason: "Updated" }));

    await env.patch("perms", { spec: { type: "read-only", permissions: null } });
    await waitFor(async () => (await env.verify(before!.token, "orders:create")).code === "FORBIDDEN");
    expect((await env.verify(before!.token, "articles:read")).code).toBe("VALID");
  });

  it("rejects a spec the token server refuses, saying why, and recovers when it is fixed", async () => {
    await env.apply("unknown-resource", { type: "custom", permissions: ["ghosts:read"] });
    const failed = await env.condition("unknown-resource", "Ready", "False", "ResourceNotRegistered");
    expect(readyCondition(failed)?.message).toBe(
      "resource ghosts is not registered; create a TokenResource named ghosts",
    );
    expect(await env.secret("unknown-resource")).toBeUndefined();
    await env.patch("unknown-resource", { spec: { permissions: ["orders:read"] } });
    await env.ready("unknown-resource");
  });
});

describe("rotation", () => {
  it("rotates on the rotate annotation: a new working token, the old one working until the grace period ends", async () => {
    await env.apply("manual", { type: "read-only", rotation: { gracePeriod: "1h" } });
    await env.ready("manual");
    const first = await env.secret("manual");
    await env.kube.mergePatch(env.path("accesstokens", "manual"), {
      metadata: { annotations: { [ROTATE_ANNOTATION]: "2025-06-01" } },
    });
    const rotated = await env.ready("manual", (at) => at.status?.revision === 2);
    expect(rotated.status).toMatchObject({
      lastRotationReason: "Manual",
      lastRotateAnnotation: "2025-06-01",
    });
    const second = await env.secret("manual");
    expect(second!.token).not.toBe(first!.token);
    expect(second!.tokenId).toBe(first!.tokenId);
    expect((await env.verify(second!.token)).code).toBe("VALID");
    expect((await env.verify(first!.token)).code).toBe("VALID");
    expect(await env.events("manual")).toContainEqual(expect.objectContaining({ reason: "Rotated" }));

    env.advanceServerClock(3_600_000 + 1_000);
    try {
      expect((await env.verify(first!.token)).valid).toBe(false);
      expect((await env.verify(second!.token)).code).toBe("VALID");
    } finally {
      env.advanceServerClock(-(3_600_000 + 1_000));
    }
    // Once per distinct value: the same value again does nothing.
    await env.patch("manual", { metadata: { labels: { touched: "yes" } } });
    await env.ready("manual", (at) => at.metadata.labels?.touched === "yes");
    expect((await env.get("manual"))?.status?.revision).toBe(2);
  });

  it("rotates on schedule (renewBefore) and restarts the listed workloads", async () => {
    await env.kube.create("/apis/apps/v1/namespaces/" + env.namespace + "/deployments", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: env.namespace },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "nginx" }] },
        },
      },
    });
    await env.apply("scheduled", {
      type: "read-only",
      duration: "4s",
      rotation: { renewBefore: "3s" },
      rolloutRestartTargets: [{ kind: "Deployment", name: "web" }],
    });
    const first = await env.ready("scheduled");
    const firstSecret = await env.secret("scheduled");
    const rotated = await env.ready("scheduled", (at) => (at.status?.revision ?? 0) >= 2, 20_000);
    expect(rotated.status?.lastRotationReason).toBe("Scheduled");
    expect(Date.parse(rotated.status!.expiresAt!)).toBeGreaterThan(Date.parse(first.status!.expiresAt!));
    const secret = await waitFor(async () => {
      const s = await env.secret("scheduled");
      return s && s.token !== firstSecret!.token && s;
    });
    expect(["VALID"]).toContain((await env.verify(secret.token)).code);
    const deployment = await waitFor(async () => {
      const d = await env.kube.get<{
        spec: { template: { metadata: { annotations?: Record<string, string> } } };
      }>(env.path("deployments.apps", "web"));
      return d?.spec.template.metadata.annotations?.["tokenplane.dev/restartedAt"] ? d : undefined;
    });
    expect(
      Date.parse(deployment.spec.template.metadata.annotations!["tokenplane.dev/restartedAt"]!),
    ).not.toBeNaN();
    expect(await env.events("scheduled")).toContainEqual(
      expect.objectContaining({ reason: "RolloutRestarted" }),
    );
    await env.remove("scheduled");
  });

  it("rotates when kind or signedRequests change, writing the private key for signed requests", async () => {
    await env.apply("kinds", { type: "read-only" });
    await env.ready("kinds");
    await env.patch("kinds", { spec: { kind: "publishable" } });
    const rotated = await env.ready("kinds", (at) => at.status?.revision === 2);
    expect(rotated.status?.lastRotationReason).toBe("SpecChanged");
    const secret = await env.secret("kinds");
    expect(secret!.token.startsWith("tpp_")).toBe(true);
    await env.patch("kinds", { spec: { kind: "secret", signedRequests: true } });
    await env.ready("kinds", (at) => at.status?.revision === 3);
    const signed = await env.secret("kinds");
    expect(signed!.data["private-key"]).toContain("PRIVATE KEY");
    expect((await env.verify(signed!.token)).code).toBe("SIGNATURE_REQUIRED");
  });
});

describe("self-healing", () => {
  it("re-issues when the Secret is deleted or its token edited; keeps the token id", async () => {
    await env.apply("healing", { type: "read-only" });
    await env.ready("healing");
    const original = await env.secret("healing");

    await env.kube.request("DELETE", env.path("secrets", "healing"));
    const restored = await waitFor(async () => {
      const s = await env.secret("healing");
      return s && s.token !== original!.token && s;
    });
    expect(restored.tokenId).toBe(original!.tokenId);
    expect((await env.verify(restored.token)).code).toBe("VALID");
    const drifted = await env.ready("healing", (at) => at.status?.revision === 2);
    expect(drifted.status?.lastRotationReason).toBe("Drift");

    await env.kube.mergePatch(env.path("secrets", "healing"), {
      data: { token: Buffer.from("tps_not-the-token").toString("base64") },
    });
    const repaired = await waitFor(async () => {
      const s = await env.secret("healing");
      return s && s.token.startsWith("tps_") && s.token.length > 20 && s.token !== restored.token && s;
    });
    expect((await env.verify(repaired.token)).code).toBe("VALID");
    expect((await env.verify(restored.token)).valid).toBe(false);
  });

  it("issues a new token when the token is revoked on the server behind its back", async () => {
    await env.apply("revoked", { type: "read-only" });
    const at = await env.ready("revoked");
    const secret = await env.secret("revoked");
    const userId = (await env.verify(secret!.token)).userId!;
    expect(await env.server.server.api("someone").revokeToken(userId, at.status!.tokenId!)).toBe(true);
    const reissued = await env.ready("revoked", (x) => x.status?.tokenId !== at.status?.tokenId);
    expect(reissued.status?.lastRotationReason).toBe("Drift");
    const fresh = await env.secret("revoked");
    expect((await env.verify(fresh!.token)).code).toBe("VALID");
    expect(displayPrefix(fresh!.token)).not.toBe(displayPrefix(secret!.token));
  });

  it("never overwrites a Secret it does not own (SecretConflict), and issues once it is gone", async () => {
    await env.kube.create(env.path("secrets"), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "taken", namespace: env.namespace },
      stringData: { token: "someone else's" },
    });
    await env.apply("conflicted", { type: "read-only", secretTemplate: { name: "taken" } });
    const at = await env.condition("conflicted", "Ready", "False", "SecretConflict");
    expect(readyCondition(at)?.message).toContain("taken");
    expect((await env.secret("taken"))?.token).toBe("someone else's");
    expect(await env.events("conflicted")).toContainEqual(
      expect.objectContaining({ reason: "SecretConflict", type: "Warning" }),
    );
    // While the conflict lasts, retries do not re-issue the token each time.
    const kubeSystem = await env.kube.get<{ metadata: { uid: string } }>("/api/v1/namespaces/kube-system");
    const api = env.server.server.api("e2e");
    const user = await api.ensureUser(serverUserName(kubeSystem!.metadata.uid, env.namespace));
    const before = await api.findTokenByExternalId(user.id, at.metadata.uid!);
    const failures = await conflictFailures();
    await waitFor(async () => (await conflictFailures()) >= failures + 2, { what: "two more retries" });
    expect((await api.findTokenByExternalId(user.id, at.metadata.uid!))?.revision).toBe(before?.revision);
    // Another AccessToken cannot take over a Secret that belongs to the first one either.
    await env.kube.request("DELETE", env.path("secrets", "taken"));
    await env.ready("conflicted");
    await env.apply("second-claim", { type: "read-only", secretTemplate: { name: "taken" } });
    await env.condition("second-claim", "Ready", "False", "SecretConflict");
    expect((await env.secret("taken"))?.raw.metadata.labels?.["tokenplane.dev/access-token"]).toBe(
      "conflicted",
    );
  });
});

describe("deletion", () => {
  it("revokes the token with policy Revoke, then lets the AccessToken go", async () => {
    await env.apply("doomed", { type: "read-only" });
    await env.ready("doomed");
    const secret = await env.secret("doomed");
    await env.remove("doomed");
    expect((await env.verify(secret!.token)).code).toBe("NOT_FOUND");
  });

  it("keeps the token with policy Retain", async () => {
    await env.apply("kept", { type: "read-only", deletionPolicy: "Retain" });
    await env.ready("kept");
    const secret = await env.secret("kept");
    await env.remove("kept");
    expect((await env.verify(secret!.token)).code).toBe("VALID");
  });
});
