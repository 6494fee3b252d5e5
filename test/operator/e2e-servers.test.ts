import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_SERVER_NAME } from "../../src/crd/index.js";
import {
  GROUP_PATH,
  readyCondition,
  printLogOnFailure,
  startOperatorEnv,
  uniqueName,
  type OperatorEnv,
} from "../support/operator-env.js";
import { startTestServerWith, type TestServer } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";
import { randomBytes } from "node:crypto";

/*
 * Remote token servers through TokenServer and ClusterTokenServer (credentials from a Secret,
 * namespace policy), the embedded server's registration, and a token server that goes away.
 */

let env: OperatorEnv;
printLogOnFailure(() => env);
const clusterServers: string[] = [];

beforeAll(async () => {
  env = await startOperatorEnv({ name: "servers" });
  await credentials("admin-creds", env.server.adminToken);
});

afterAll(async () => {
  await env?.close();
  for (const name of clusterServers)
    await env.kube.request("DELETE", `${GROUP_PATH}/clustertokenservers/${name}`).catch(() => undefined);
});

async function credentials(name: string, token: string): Promise<void> {
  await env.kube.create(env.path("secrets"), {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: env.namespace },
    stringData: { token },
  });
}

async function tokenServer(name: string, url: string, secret = "admin-creds"): Promise<void> {
  await env.kube.create(env.path("tokenservers"), {
    apiVersion: "tokenplane.dev/v1alpha1",
    kind: "TokenServer",
    metadata: { name, namespace: env.namespace },
    spec: { url, credentialsSecretRef: { name: secret } },
  });
}

async function clusterTokenServer(spec: Record<string, unknown>): Promise<string> {
  const name = uniqueName("central");
  clusterServers.push(name);
  await env.kube.create(`${GROUP_PATH}/clustertokenservers`, {
    apiVersion: "tokenplane.dev/v1alpha1",
    kind: "ClusterTokenServer",
    metadata: { name },
    spec: {
      url: env.server.url,
      credentialsSecretRef: { namespace: env.namespace, name: "admin-creds" },
      ...spec,
    },
  });
  return name;
}

const serverStatus = (path: string) =>
  waitFor(async () => {
    const obj = await env.kube.get<{
      status?: { conditions?: { type: string; status: string; reason: string }[] };
    }>(path);
    return obj?.status?.conditions?.find((c) => c.type === "Ready") && obj;
  });

describe("remote token servers", () => {
  it("issues through a TokenServer over HTTP with the admin token from its Secret, as the namespace's server user", async () => {
    await tokenServer("team", env.server.url);
    await env.apply("remote", {
      serverRef: { kind: "TokenServer", name: "team" },
      type: "custom",
      permissions: ["orders:read"],
    });
    await env.ready("remote");
    const secret = await env.secret("remote");
    expect((await env.verify(secret!.token, "orders:read")).code).toBe("VALID");
    const info = await env.verify(secret!.token);
    expect(info.name).toBe(`${env.namespace}/remote`);
    const user = await env.server.admin<{ name: string }>("GET", `/api/v1/users/${info.userId}`);
    expect(user.body.name).toMatch(new RegExp(`^k8s:[^:]+:${env.namespace}$`));
    expect(secret!.raw.metadata.annotations?.["tokenplane.dev/server"]).toBe("TokenServer/team");

    const ts = await serverStatus(env.path("tokenservers", "team"));
    expect(ts.status?.conditions?.[0]).toMatchObject({ status: "True", reason: "Connected" });

    // Another reference to the same server: a new value of the same token, nothing revoked.
    await env.patch("remote", { spec: { serverRef: null } });
    const moved = await env.ready("remote", (at) => at.status?.revision === 2);
    expect(moved.status?.lastRotationReason).toBe("SpecChanged");
    const after = await env.secret("remote");
    expect(after!.tokenId).toBe(secret!.tokenId);
    expect((await env.verify(after!.token, "orders:read")).code).toBe("VALID");
    expect(after!.raw.metadata.annotations?.["tokenplane.dev/server"]).toBe("ClusterTokenServer/embedded");
  });

  it("says why a server cannot be used: not found, credentials missing, credentials refused", async () => {
    await env.apply("nowhere", { serverRef: { kind: "TokenServer", name: "ghost" } });
    await env.condition("nowhere", "Ready", "False", "ServerNotFound");

    await tokenServer("no-creds", env.server.url, "missing-secret");
    await env.apply("no-creds", { serverRef: { kind: "TokenServer", name: "no-creds" } });
    await env.condition("no-creds", "Ready", "False", "CredentialsUnavailable");

    await credentials("wrong-creds", `wrong-${randomBytes(20).toString("hex")}`);
    await tokenServer("refused", env.server.url, "wrong-creds");
    await env.apply("refused", { serverRef: { kind: "TokenServer", name: "refused" } });
    await env.condition("refused", "Ready", "False", "ServerUnauthorized");
    const status = await serverStatus(env.path("tokenservers", "refused"));
    expect(status.status?.conditions?.[0]).toMatchObject({ status: "False", reason: "ServerUnauthorized" });

    // The server appears later: the AccessToken converges by itself.
    await tokenServer("ghost", env.server.url);
    await env.ready("nowhere");
    // Deleting waits while the server cannot be used (the token might exist), and completes
    // once the server reference itself is gone (then nothing could ever revoke it).
    await env.kube.request("DELETE", env.path("accesstokens", "no-creds"));
    await waitFor(async () => (await env.events("no-creds")).some((e) => e.reason === "RevokeFailed"));
    expect((await env.get("no-creds"))?.metadata.deletionTimestamp).toBeDefined();
    await env.kube.request("DELETE", env.path("tokenservers", "no-creds"));
    await waitFor(async () => (await env.get("no-creds")) === undefined, {
      what: "the deletion to complete",
    });
    expect(await env.events("no-creds")).toContainEqual(expect.objectContaining({ reason: "RevokeSkipped" }));
    await env.kube.request("DELETE", env.path("tokenservers", "refused"));
    await env.remove("refused");
  });

  it("keeps AccessTokens from namespaces a ClusterTokenServer does not allow (NamespaceNotAllowed, no token)", async () => {
    const central = await clusterTokenServer({ allowedNamespaces: { matchLabels: { tokens: "enabled" } } });
    await env.apply("policy", { serverRef: { kind: "ClusterTokenServer", name: central } });
    const refused = await env.condition("policy", "Ready", "False", "NamespaceNotAllowed");
    expect(readyCondition(refused)?.message).toContain(env.namespace);
    expect(await env.secret("policy")).toBeUndefined();
    expect(refused.status?.tokenId).toBeUndefined();

    await env.kube.mergePatch(`/api/v1/namespaces/${env.namespace}`, {
      metadata: { labels: { tokens: "enabled" } },
    });
    await env.ready("policy");
    const cts = await serverStatus(`${GROUP_PATH}/clustertokenservers/${central}`);
    expect(cts.status?.conditions?.[0]).toMatchObject({ status: "True", reason: "Connected" });
  });

  it("registers the embedded server as ClusterTokenServer embedded, the default serverRef", async () => {
    const embedded = await serverStatus(`${GROUP_PATH}/clustertokenservers/${EMBEDDED_SERVER_NAME}`);
    expect(embedded.status?.conditions?.[0]).toMatchObject({ status: "True" });
  });
});

describe("a token server that goes away", () => {
  let dir: string;
  let flaky: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tokenplane-flaky-"));
    flaky = await startTestServerWith({
      port: 0,
      dataDir: dir,
      adminToken: env.server.adminToken,
      pepper: `1:${randomBytes(32).toString("hex")}`,
    });
    for (const r of ["orders", "articles"])
      await flaky.admin("POST", "/api/v1/resources", { body: { name: r } });
    await tokenServer("flaky", flaky.url);
  });

  afterAll(async () => {
    for (const name of ["patient", "newcomer"]) await env.remove(name);
    await flaky.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets AccessTokens wait while it is down, then converge; keeps the finalizer until it can revoke", async () => {
    await env.apply("patient", {
      serverRef: { kind: "TokenServer", name: "flaky" },
      type: "custom",
      permissions: ["orders:read"],
    });
    await env.apply("leaving", { serverRef: { kind: "TokenServer", name: "flaky" } });
    await env.ready("patient");
    await env.ready("leaving");
    const leavingToken = (await env.secret("leaving"))!.token;
    const port = new URL(flaky.url).port;
    await flaky.close();

    await env.patch("patient", { spec: { permissions: ["orders:read", "orders:create"] } });
    await env.apply("newcomer", { serverRef: { kind: "TokenServer", name: "flaky" } });
    await env.kube.request("DELETE", env.path("accesstokens", "leaving"));
    await env.condition("patient", "Ready", "False", "ServerUnavailable");
    await env.condition("newcomer", "Ready", "False", "ServerUnavailable");
    const blocked = await env.get("leaving");
    expect(blocked?.metadata.finalizers).toContain("tokenplane.dev/revoke");
    expect(blocked?.metadata.deletionTimestamp).toBeDefined();

    flaky = await flaky.restart({ port: Number(port) });
    await env.ready("patient");
    await env.ready("newcomer");
    const patient = await env.secret("patient");
    expect(
      (await flaky.server.api("t").verify({ token: patient!.token, permission: "orders:create" })).code,
    ).toBe("VALID");
    await waitFor(async () => (await env.get("leaving")) === undefined, { what: "the deletion to complete" });
    expect((await flaky.server.api("t").verify({ token: leavingToken })).code).toBe("NOT_FOUND");
  });

  it("moves a token to another server when serverRef changes, revoking the one on the old server", async () => {
    await env.apply("mover", { type: "read-only" });
    await env.ready("mover");
    const before = await env.secret("mover");
    await env.patch("mover", { spec: { serverRef: { kind: "TokenServer", name: "flaky" } } });
    const moved = await env.ready("mover", (at) => at.status?.revision === 2);
    expect(moved.status?.lastRotationReason).toBe("SpecChanged");
    const after = await env.secret("mover");
    expect(after!.tokenId).not.toBe(before!.tokenId);
    expect((await flaky.server.api("t").verify({ token: after!.token })).code).toBe("VALID");
    await waitFor(async () => (await env.verify(before!.token)).code === "NOT_FOUND", {
      what: "the old token to be revoked",
    });
    expect(await env.events("mover")).toContainEqual(expect.objectContaining({ reason: "Revoked" }));
    await env.remove("mover");
  });
});
