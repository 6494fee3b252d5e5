import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User, VerifyResult } from "../../src/api/index.js";
import { registerResource } from "../support/fixtures.js";
import { startCli } from "../support/cli.js";
import { type Client, client } from "../support/http.js";
import { startTestServer, type TestServer } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

/** Revocations and edits must reach every replica's verification cache within a second. */
const PROPAGATION_BOUND_MS = 1000;

describe("two server processes on one PostgreSQL", () => {
  let a: TestServer;
  let b: ReturnType<typeof startCli>;
  let onB: Client;
  let me: User;

  beforeAll(async () => {
    a = await startTestServer("postgres");
    b = startCli(["server", "--port", "0", "--host", "127.0.0.1", "--log-level", "info"], {
      DATABASE_URL: a.options.databaseUrl,
      TOKENPLANE_PEPPER: a.options.pepper,
      TOKENPLANE_ADMIN_TOKEN: a.adminToken,
    });
    const port = await waitFor(() => /"port":(\d+)/.exec(b.out.stdout)?.[1], {
      timeoutMs: 30_000,
      what: "process B to listen",
    });
    onB = client(`http://127.0.0.1:${port}`);
    me = (await a.admin<User>("GET", "/api/v1/user")).body;
    await registerResource(a, "orders");
  });
  afterAll(async () => {
    b.child.kill("SIGTERM");
    await b.exited;
    await a.close();
  });

  const verifyOnB = async (token: string, permission?: string) =>
    (
      await onB<VerifyResult>("POST", "/api/v1/verify", {
        body: { token, ...(permission ? { permission } : {}) },
      })
    ).body.code;
  const within = (what: string, check: () => Promise<boolean>) =>
    waitFor(async () => (await check()) || undefined, {
      timeoutMs: PROPAGATION_BOUND_MS,
      intervalMs: 10,
      what,
    });

  it("a revocation on A fails the token on B (which had it cached) within a second", async () => {
    const t = (
      await a.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: "r" },
      })
    ).body;
    expect(await verifyOnB(t.token)).toBe("VALID");
    expect(await verifyOnB(t.token)).toBe("VALID");
    expect((await a.admin("DELETE", `/api/v1/users/${me.id}/access-tokens/${t.id}`)).status).toBe(204);
    await within("B to refuse the revoked token", async () => (await verifyOnB(t.token)) === "NOT_FOUND");
  });

  it("a regeneration on A ends the old secret on B and the new one works there", async () => {
    const t = (
      await a.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: "g" },
      })
    ).body;
    expect(await verifyOnB(t.token)).toBe("VALID");
    const fresh = (
      await a.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens/${t.id}/regenerate`)
    ).body;
    await within("B to refuse the old secret", async () => (await verifyOnB(t.token)) === "NOT_FOUND");
    expect(await verifyOnB(fresh.token)).toBe("VALID");
  });

  it("a permission edit on A changes what verifies on B within a second", async () => {
    const t = (
      await a.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: "p", type: "custom", permissions: ["orders:read"] },
      })
    ).body;
    expect(await verifyOnB(t.token, "orders:delete")).toBe("FORBIDDEN");
    await a.admin("PATCH", `/api/v1/users/${me.id}/access-tokens/${t.id}`, {
      body: { permissions: ["orders:*"] },
    });
    await within(
      "B to see the new permission",
      async () => (await verifyOnB(t.token, "orders:delete")) === "VALID",
    );
  });

  it("a resource's new routes on A are what forward auth on B maps within a second", async () => {
    await registerResource(a, "parcels", [{ pathPrefix: "/parcels" }]);
    const t = (
      await a.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: "fa", type: "custom", permissions: ["parcels:read"] },
      })
    ).body;
    const authorizeOnB = async (uri: string) =>
      (
        await onB("GET", "/api/v1/authorize", {
          headers: { authorization: `Bearer ${t.token}`, "x-original-method": "GET", "x-original-uri": uri },
        })
      ).status;
    expect(await authorizeOnB("/parcels/1")).toBe(200);
    expect(await authorizeOnB("/boxes/1")).not.toBe(200);
    const patched = await a.admin("PATCH", "/api/v1/resources/parcels", {
      body: { routes: [{ pathPrefix: "/boxes" }] },
    });
    expect(patched.status).toBe(200);
    await within("B to map the new route", async () => (await authorizeOnB("/boxes/1")) === 200);
    expect(await authorizeOnB("/parcels/1")).not.toBe(200);
  });

  it("a revocation on B reaches A as well", async () => {
    const t = (
      await a.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: "ba" },
      })
    ).body;
    const verifyOnA = async () =>
      (await a.anonymous<VerifyResult>("POST", "/api/v1/verify", { body: { token: t.token } })).body.code;
    expect(await verifyOnA()).toBe("VALID");
    const revoke = await onB("DELETE", `/api/v1/users/${me.id}/access-tokens/${t.id}`, {
      token: a.adminToken,
    });
    expect(revoke.status).toBe(204);
    await within("A to refuse the token revoked on B", async () => (await verifyOnA()) === "NOT_FOUND");
  });
});
