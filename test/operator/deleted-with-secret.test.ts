import { afterAll, beforeAll, expect, it } from "vitest";
import type { KubeObject, Secret } from "../../src/operator/kube/objects.js";
import { registerResource } from "../support/fixtures.js";
import { createHarness, type Harness } from "../support/reconcile-harness.js";
import { startTestServer, type TestServer } from "../support/token-server.js";

/*
 * Deleting an AccessToken deletes its Secret too (the garbage collector follows the Secret's
 * ownerReference), and the two watch events come over two streams: the operator may see the
 * Secret gone while its cache still holds the AccessToken. That must not read as "the Secret
 * was deleted, heal it": a new value would end the token that `deletionPolicy: Retain` keeps.
 */

const NS = "shop";
let server: TestServer;
let h: Harness;
const stale = new Map<string, KubeObject>();

beforeAll(async () => {
  server = await startTestServer("pglite");
  await registerResource(server, "orders");
  h = createHarness({ embedded: server.server.api("harness"), staleAccessTokens: stale });
  h.kube.put("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
});

afterAll(async () => {
  await server?.close();
});

const verify = async (token: string) => (await server.server.api("check").verify({ token })).code;

async function issue(name: string, deletionPolicy: "Retain" | "Revoke"): Promise<string> {
  h.kube.put("accesstokens", {
    apiVersion: "tokenplane.dev/v1alpha1",
    kind: "AccessToken",
    metadata: { name, namespace: NS, uid: `uid-${name}`, generation: 1 },
    spec: { type: "read-only", deletionPolicy },
  });
  for (let i = 0; i < 5 && !h.kube.object<Secret>("secrets", NS, name); i++)
    await h.accessTokens.reconcile(`${NS}/${name}`);
  const token = Buffer.from(h.kube.object<Secret>("secrets", NS, name)?.data?.token ?? "", "base64");
  expect(await verify(token.toString())).toBe("VALID");
  return token.toString();
}

it("the Secret's deletion seen before its AccessToken's: no new value, and a Retain token keeps working", async () => {
  const token = await issue("kept", "Retain");
  const at = h.kube.object("accesstokens", NS, "kept")!;
  stale.set(`${NS}/kept`, at);
  h.kube.remove("accesstokens", NS, "kept");
  h.kube.remove("secrets", NS, "kept");

  const outcome = await h.accessTokens.reconcile(`${NS}/kept`);
  expect(outcome).toEqual({ kind: "done", ready: false });
  expect(h.kube.object("secrets", NS, "kept")).toBeUndefined();
  expect(await verify(token)).toBe("VALID");
});

it("the same when the AccessToken's status was never written (the token is found by its externalId)", async () => {
  const token = await issue("unrecorded", "Retain");
  const at = h.kube.object("accesstokens", NS, "unrecorded")!;
  stale.set(`${NS}/unrecorded`, { ...at, status: undefined });
  h.kube.remove("accesstokens", NS, "unrecorded");
  h.kube.remove("secrets", NS, "unrecorded");

  expect(await h.accessTokens.reconcile(`${NS}/unrecorded`)).toEqual({ kind: "done", ready: false });
  expect(h.kube.object("secrets", NS, "unrecorded")).toBeUndefined();
  expect(await verify(token)).toBe("VALID");
});

it("a Secret deleted under a live AccessToken is still healed with a new value", async () => {
  const token = await issue("healed", "Retain");
  h.kube.remove("secrets", NS, "healed");

  expect(await h.accessTokens.reconcile(`${NS}/healed`)).toMatchObject({ kind: "done", ready: true });
  const secret = h.kube.object<Secret>("secrets", NS, "healed");
  const value = Buffer.from(secret?.data?.token ?? "", "base64").toString();
  expect(value).not.toBe(token);
  expect(await verify(value)).toBe("VALID");
});
