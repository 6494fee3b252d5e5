import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Resource } from "../../src/api/index.js";
import type { KubeObject } from "../support/kube-api/index.js";
import {
  GROUP_PATH,
  readyCondition,
  printLogOnFailure,
  startOperatorEnv,
  type OperatorEnv,
} from "../support/operator-env.js";
import { waitFor } from "../support/wait.js";

/*
 * TokenResource end to end: declared in the cluster, registered on the operator's embedded
 * token server, used by an AccessToken that waited for it, refused deletion while in use, and
 * unregistered once free. On the fixture, or on the cluster TOKENPLANE_TEST_KUBECONFIG names.
 */

interface TokenResourceView extends KubeObject {
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

let env: OperatorEnv;
printLogOnFailure(() => env);
beforeAll(async () => {
  env = await startOperatorEnv({ name: "resources" });
});
afterAll(async () => {
  await env?.close();
});

const trPath = (name: string) => `${GROUP_PATH}/tokenresources/${name}`;

async function resourceCondition(name: string, status: string, reason: string): Promise<TokenResourceView> {
  return waitFor(
    async () => {
      const tr = await env.kube.get<TokenResourceView>(trPath(name));
      const ready = tr?.status?.conditions?.find((c) => c.type === "Ready");
      return (
        ready?.status === status &&
        ready.reason === reason &&
        tr?.status?.observedGeneration === tr?.metadata.generation &&
        tr
      );
    },
    { what: `TokenResource ${name} Ready=${status} ${reason}`, timeoutMs: 15_000 },
  );
}

describe("TokenResource", () => {
  it("registers a resource an AccessToken waits for, refuses deletion while in use, unregisters it after", async () => {
    // Cluster-scoped: unique per run, so runs on a shared cluster never collide.
    const name = `inventory-${randomBytes(3).toString("hex")}`;
    await env.apply("inv", { type: "custom", permissions: [`${name}:read`] });
    const waiting = await env.condition("inv", "Ready", "False", "ResourceNotRegistered");
    expect(readyCondition(waiting)?.message).toBe(
      `resource ${name} is not registered; create a TokenResource named ${name}`,
    );

    await env.kube.create(`${GROUP_PATH}/tokenresources`, {
      apiVersion: "tokenplane.dev/v1alpha1",
      kind: "TokenResource",
      metadata: { name },
      spec: {
        description: "inventory API",
        routes: [{ pathPrefix: "/inventory", methods: ["GET", "HEAD"] }],
      },
    });
    const registered = await resourceCondition(name, "True", "Registered");
    expect(registered.metadata.finalizers).toContain("tokenplane.dev/unregister");
    const onServer = await env.server.admin<Resource>("GET", `/api/v1/resources/${name}`);
    expect(onServer.body).toMatchObject({
      name,
      description: "inventory API",
      routes: [{ pathPrefix: "/inventory", methods: ["GET", "HEAD"] }],
    });

    // The AccessToken that waited goes on by itself.
    await env.ready("inv");
    const secret = await env.secret("inv");
    expect((await env.verify(secret!.token, `${name}:read`)).valid).toBe(true);

    // In use: the deletion waits, and the TokenResource says why.
    await env.kube.request("DELETE", trPath(name));
    const inUse = await resourceCondition(name, "False", "InUse");
    expect(inUse.status?.conditions?.[0]?.message).toContain("used by 1 token(s)");
    expect((await env.server.admin("GET", `/api/v1/resources/${name}`)).status).toBe(200);

    // Once free, it is unregistered and the object goes.
    await env.remove("inv");
    await waitFor(async () => (await env.kube.get(trPath(name))) === undefined, {
      what: `TokenResource ${name} to be gone`,
      timeoutMs: 20_000,
    });
    expect((await env.server.admin("GET", `/api/v1/resources/${name}`)).status).toBe(404);
  });

  it("brings a registered resource's routes and description to the spec", async () => {
    const name = `legacy-${randomBytes(3).toString("hex")}`;
    await env.server.admin("POST", "/api/v1/resources", { body: { name, routes: [{ pathPrefix: "/old" }] } });
    await env.kube.create(`${GROUP_PATH}/tokenresources`, {
      apiVersion: "tokenplane.dev/v1alpha1",
      kind: "TokenResource",
      metadata: { name },
      spec: { routes: [{ pathPrefix: "/new" }] },
    });
    await resourceCondition(name, "True", "Registered");
    const onServer = await env.server.admin<{ description: string; routes: { pathPrefix: string }[] }>(
      "GET",
      `/api/v1/resources/${name}`,
    );
    expect(onServer.body.routes.map((r) => r.pathPrefix)).toEqual(["/new"]);
    expect(onServer.body.description).toBe("");
    await env.kube.request("DELETE", trPath(name));
    await waitFor(async () => (await env.kube.get(trPath(name))) === undefined, {
      what: `TokenResource ${name} to be gone`,
    });
    expect((await env.server.admin("GET", `/api/v1/resources/${name}`)).status).toBe(404);
  });

  it("rejects a malformed route at apply time, naming the field", async () => {
    const err = await env.kube
      .create(`${GROUP_PATH}/tokenresources`, {
        apiVersion: "tokenplane.dev/v1alpha1",
        kind: "TokenResource",
        metadata: { name: `bad-${randomBytes(3).toString("hex")}` },
        spec: { routes: [{ pathPrefix: "no-slash", methods: ["FETCH"] }] },
      })
      .catch((e: unknown) => e as Error);
    expect((err as Error).message).toContain("spec.routes[0].pathPrefix");
    expect((err as Error).message).toContain("spec.routes[0].methods[0]");
  });
});
