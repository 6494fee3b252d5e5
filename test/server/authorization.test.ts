import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessToken, AuditEvent, IssuedAccessToken, Page, User } from "../../src/api/index.js";
import { createUserWithToken, registerResource } from "../support/fixtures.js";
import { type Client, client } from "../support/http.js";
import { STORE_KINDS, startTestServer, type TestServer } from "../support/token-server.js";

interface Problem {
  detail: string;
  errors?: { field: string; message: string }[];
}

interface Operation {
  method: string;
  path: string;
  id: string;
  secured: boolean;
}

/** Every operation the server documents: the test covers routes added later too. */
async function operations(srv: TestServer): Promise<Operation[]> {
  const doc = (
    await srv.anonymous<{
      paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>>;
    }>("GET", "/openapi.json")
  ).body;
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      id: op.operationId,
      secured: !(Array.isArray(op.security) && op.security.length === 0),
    })),
  );
}

const bodyFor = (method: string) =>
  method === "GET" || method === "DELETE" ? {} : { body: { name: "x", permissions: [] } };

const fill = (path: string, ids: { userId: string; tokenId: string; name: string }) =>
  path.replace("{userId}", ids.userId).replace("{tokenId}", ids.tokenId).replace("{name}", ids.name);

/** Routes any valid token may call: introspection of the caller itself. */
const SELF_ROUTES = new Set(["getCallingUser", "getCallingAccessToken"]);

describe.each(STORE_KINDS)("authorization on %s", (kind) => {
  let srv: TestServer;
  let ops: Operation[];
  let alice: { user: User; token: IssuedAccessToken; as: Client };
  let bob: { user: User; token: IssuedAccessToken; as: Client };
  let bobToken: IssuedAccessToken;

  beforeAll(async () => {
    srv = await startTestServer(kind);
    await registerResource(srv, "orders");
    ops = await operations(srv);
    alice = await createUserWithToken(srv, "alice");
    bob = await createUserWithToken(srv, "bob");
    bobToken = (
      await bob.as<IssuedAccessToken>("POST", `/api/v1/users/${bob.user.id}/access-tokens`, {
        body: { name: "bob-2" },
      })
    ).body;
  });
  afterAll(() => srv.close());

  it("documents the management routes it must protect", () => {
    const secured = ops.filter((o) => o.secured).map((o) => o.id);
    expect(secured.length).toBeGreaterThanOrEqual(19);
    expect(
      ops
        .filter((o) => !o.secured)
        .map((o) => o.id)
        .sort(),
    ).toEqual([
      "forwardAuth",
      "forwardAuthEnvoy",
      "forwardAuthIngressNginx",
      "forwardAuthNginx",
      "forwardAuthTraefik",
      "liveness",
      "metrics",
      "openapi",
      "readiness",
      "verifyToken",
    ]);
  });

  it("answers 401 with a problem on every management route without a valid token", async () => {
    const ids = { userId: alice.user.id, tokenId: alice.token.id, name: "orders" };
    const credentials: (Record<string, string> | undefined)[] = [
      undefined,
      { authorization: "Bearer tps_not-a-token" },
      { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
      { "x-api-key": alice.token.token.slice(0, -1) + (alice.token.token.endsWith("a") ? "b" : "a") },
      { "private-token": "x".repeat(40) },
    ];
    for (const op of ops.filter((o) => o.secured)) {
      for (const headers of credentials) {
        const res = await srv.anonymous(op.method, fill(op.path, ids), { headers, ...bodyFor(op.method) });
        expect(res.status, `${op.id} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("content-type")).toContain("application/problem+json");
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="tokenplane"');
      }
    }
  });

  it("answers 403 on every management route to a token without management permissions", async () => {
    const weak = (
      await alice.as<IssuedAccessToken>("POST", `/api/v1/users/${alice.user.id}/access-tokens`, {
        body: { name: "orders-only", type: "custom", permissions: ["orders:read"] },
      })
    ).body;
    const as = client(srv.url, weak.token);
    // Its own user and token: only the self-introspection routes are allowed.
    const ids = { userId: alice.user.id, tokenId: alice.token.id, name: "orders" };
    for (const op of ops.filter((o) => o.secured)) {
      const res = await as(op.method, fill(op.path, ids), bodyFor(op.method));
      // getUser on one's own id is self-introspection too.
      const expected = SELF_ROUTES.has(op.id) || op.id === "getUser" ? 200 : 403;
      expect(res.status, op.id).toBe(expected);
    }
  });

  it("answers 403 to a non-admin on every route touching another user or global settings", async () => {
    const ids = { userId: bob.user.id, tokenId: bobToken.id, name: "orders" };
    // A full-access token of a non-admin: reading the registry and settings is fine.
    const allowed = new Set([
      ...SELF_ROUTES,
      "listResources",
      "getResource",
      "getDefaultPermissions",
      "listAuditEvents",
    ]);
    for (const op of ops.filter((o) => o.secured)) {
      const res = await alice.as(op.method, fill(op.path, ids), bodyFor(op.method));
      if (allowed.has(op.id)) expect(res.status, op.id).toBe(200);
      else expect(res.status, op.id).toBe(403);
    }
  });

  it("never lets one user see or touch another user's tokens", async () => {
    const base = `/api/v1/users/${bob.user.id}/access-tokens`;
    const attempts = [
      alice.as("GET", base),
      alice.as("GET", `${base}?subscribe=true`),
      alice.as("GET", `${base}/${bobToken.id}`),
      alice.as("GET", `${base}/${bobToken.id}?subscribe=true`),
      alice.as("PATCH", `${base}/${bobToken.id}`, { body: { name: "pwned" } }),
      alice.as("POST", `${base}/${bobToken.id}/regenerate`),
      alice.as("DELETE", `${base}/${bobToken.id}`),
      alice.as("POST", base, { body: { name: "planted" } }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(bobToken.id);
    }
    // Bob's token id under Alice's own path is simply not there.
    const mine = `/api/v1/users/${alice.user.id}/access-tokens/${bobToken.id}`;
    expect((await alice.as("GET", mine)).status).toBe(404);
    expect((await alice.as("DELETE", mine)).status).toBe(404);
    expect((await alice.as("PATCH", mine, { body: { name: "x" } })).status).toBe(404);
    expect((await alice.as("POST", `${mine}/regenerate`)).status).toBe(404);
    // Nothing happened to it.
    const still = await bob.as<AccessToken>("GET", `${base}/${bobToken.id}`);
    expect(still.body).toMatchObject({ name: "bob-2", revision: 1 });
    expect((await client(srv.url, bobToken.token)("GET", "/api/v1/access-tokens/self")).status).toBe(200);
    // Nor does Alice's audit view show Bob's events.
    const audit = await alice.as<Page<AuditEvent>>("GET", "/api/v1/audit-events?limit=500");
    expect(audit.status).toBe(200);
    expect(audit.body.items.length).toBeGreaterThan(0);
    for (const e of audit.body.items) {
      expect([e.actor.userId, e.target.userId]).toContain(alice.user.id);
    }
  });

  it("lets admins manage everyone's tokens", async () => {
    const base = `/api/v1/users/${bob.user.id}/access-tokens`;
    expect((await srv.admin("GET", base)).status).toBe(200);
    const made = await srv.admin<IssuedAccessToken>("POST", base, { body: { name: "from-admin" } });
    expect(made.status).toBe(201);
    expect(made.body.userId).toBe(bob.user.id);
    expect((await srv.admin("PATCH", `${base}/${made.body.id}`, { body: { description: "x" } })).status).toBe(
      200,
    );
    expect((await srv.admin("DELETE", `${base}/${made.body.id}`)).status).toBe(204);
  });

  it("refuses to grant more than the calling token holds", async () => {
    const limited = (
      await alice.as<IssuedAccessToken>("POST", `/api/v1/users/${alice.user.id}/access-tokens`, {
        body: { name: "manager", type: "custom", permissions: ["tokens:*", "orders:read"] },
      })
    ).body;
    const as = client(srv.url, limited.token);
    const base = `/api/v1/users/${alice.user.id}/access-tokens`;
    const escalate = await as("POST", base, { body: { name: "x", type: "full-access" } });
    expect(escalate.status).toBe(403);
    expect(escalate.body.detail).toBe(
      "permissions: cannot grant permissions the calling token does not hold: *:*",
    );
    const wider = await as("POST", base, { body: { name: "x", type: "custom", permissions: ["orders:*"] } });
    expect(wider.status).toBe(403);
    const ok = await as<IssuedAccessToken>("POST", base, {
      body: { name: "x", type: "custom", permissions: ["orders:read"] },
    });
    expect(ok.status).toBe(201);
    const widen = await as("PATCH", `${base}/${ok.body.id}`, { body: { type: "read-only" } });
    expect(widen.status).toBe(403);
  });

  it("enforces a token's own IP and origin restrictions on management calls", async () => {
    const base = `/api/v1/users/${alice.user.id}/access-tokens`;
    const fenced = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "fenced", type: "full-access", allowedIps: ["192.0.2.0/24"] },
      })
    ).body;
    const res = await client(srv.url, fenced.token)("GET", base);
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe("the token may not be used from this IP address");
    const local = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "local", type: "full-access", allowedIps: ["127.0.0.0/8", "::1"] },
      })
    ).body;
    expect((await client(srv.url, local.token)("GET", base)).status).toBe(200);
    const web = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "web", type: "full-access", allowedDomains: ["*.example.com"] },
      })
    ).body;
    expect((await client(srv.url, web.token)("GET", base)).status).toBe(403);
    expect(
      (await client(srv.url, web.token)("GET", base, { headers: { origin: "https://app.example.com" } }))
        .status,
    ).toBe(200);
    expect(
      (await client(srv.url, web.token)("GET", base, { headers: { referer: "https://evil.example.net/x" } }))
        .status,
    ).toBe(403);
    const expiring = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "brief", type: "full-access", expiresAt: new Date(Date.now() + 1500).toISOString() },
      })
    ).body;
    const brief = client(srv.url, expiring.token);
    expect((await brief("GET", base)).status).toBe(200);
    const { waitFor } = await import("../support/wait.js");
    const expired = await waitFor(
      async () => {
        const r = await brief("GET", base);
        return r.status === 401 ? r : undefined;
      },
      { timeoutMs: 5000, what: "the token to expire" },
    );
    expect(expired.body.detail).toBe("the token has expired");
  });

  it("never hands out the secret of a token that holds more than the caller (regenerate)", async () => {
    const base = `/api/v1/users/${alice.user.id}/access-tokens`;
    const manager = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "rotator", type: "custom", permissions: ["tokens:read", "tokens:update"] },
      })
    ).body;
    const as = client(srv.url, manager.token);
    // Alice's full-access token: its new secret would be more than the rotator holds.
    const grab = await as<Problem>("POST", `${base}/${alice.token.id}/regenerate`);
    expect(grab.status).toBe(403);
    expect(grab.body.errors).toEqual([
      { field: "permissions", message: "cannot grant permissions the calling token does not hold: *:*" },
    ]);
    expect(grab.text).not.toMatch(/tps_/);
    // The full-access token still works with its old secret: nothing was rotated.
    expect((await alice.as("GET", "/api/v1/access-tokens/self")).status).toBe(200);
    // A token within the rotator's permissions, and the rotator itself, may be regenerated.
    const reader = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "reader", type: "custom", permissions: ["tokens:read"] },
      })
    ).body;
    expect((await as("POST", `${base}/${reader.id}/regenerate`)).status).toBe(200);
    const self = await as<IssuedAccessToken>("POST", `${base}/${manager.id}/regenerate`);
    expect(self.status).toBe(200);
    // A limit the caller is under counts too: a caller that expires cannot rotate one that does not.
    const brief = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "brief-rotator", type: "full-access", duration: "1h" },
      })
    ).body;
    const late = await client(srv.url, brief.token)<Problem>("POST", `${base}/${reader.id}/regenerate`);
    expect(late.status).toBe(403);
    expect(late.body.errors?.map((e) => e.field)).toEqual(["expiresAt"]);
  });

  it("keeps publishable tokens off every management route", async () => {
    const base = `/api/v1/users/${alice.user.id}/access-tokens`;
    const published = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "browser", kind: "publishable", type: "read-only" },
      })
    ).body;
    expect(published.token).toMatch(/^tpp_/);
    const as = client(srv.url, published.token);
    const ids = { userId: alice.user.id, tokenId: published.id, name: "orders" };
    for (const op of ops.filter((o) => o.secured)) {
      const res = await as<Problem>(op.method, fill(op.path, ids), bodyFor(op.method));
      expect(res.status, op.id).toBe(403);
      expect(res.body.detail, op.id).toBe(
        "publishable tokens cannot use the management API; use a secret token",
      );
    }
    // It still verifies for what it is for: reading, from the verify API.
    const verified = await srv.anonymous<{ code: string }>("POST", "/api/v1/verify", {
      body: { token: published.token, permission: "orders:read" },
    });
    expect(verified.body.code).toBe("VALID");
  });

  it("never lets a token lift the limits it is under, on itself or through another token", async () => {
    const base = `/api/v1/users/${alice.user.id}/access-tokens`;
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const limits = {
      expiresAt,
      credits: { remaining: 100 },
      rateLimit: { limit: 50, window: "1m" },
      allowedIps: ["127.0.0.0/8", "::1"],
    };
    const metered = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "metered", type: "custom", permissions: ["tokens:*", "orders:read"], ...limits },
      })
    ).body;
    const as = client(srv.url, metered.token);
    const self = `${base}/${metered.id}`;
    const lifts: [Record<string, unknown>, string][] = [
      [{ credits: null }, "credits"],
      [{ credits: { remaining: 1000 } }, "credits"],
      [{ rateLimit: null }, "rateLimit"],
      [{ rateLimit: { limit: 500, window: "1m" } }, "rateLimit"],
      [{ rateLimit: { limit: 50, window: "1s" } }, "rateLimit"],
      [{ expiresAt: null }, "expiresAt"],
      [{ duration: "unlimited" }, "expiresAt"],
      [{ expiresAt: new Date(Date.now() + 7_200_000).toISOString() }, "expiresAt"],
      [{ allowedIps: [] }, "allowedIps"],
      [{ allowedIps: ["0.0.0.0/0"] }, "allowedIps"],
    ];
    for (const [body, field] of lifts) {
      const res = await as<Problem>("PATCH", self, { body });
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(
        res.body.errors?.map((e) => e.field),
        JSON.stringify(body),
      ).toEqual([field]);
    }
    const unchanged = (await alice.as<AccessToken>("GET", self)).body;
    expect(unchanged).toMatchObject({
      expiresAt,
      rateLimit: limits.rateLimit,
      allowedIps: limits.allowedIps,
    });
    // Tightening is fine.
    const tighter = await as<AccessToken>("PATCH", self, {
      body: { credits: { remaining: 40 }, rateLimit: { limit: 40, window: "2m" }, allowedIps: ["127.0.0.1"] },
    });
    expect(tighter.status).toBe(200);
    // Nor can it mint a token free of them: every limit it is under is named.
    const free = await as<Problem>("POST", base, {
      body: { name: "free", type: "custom", permissions: ["orders:read"] },
    });
    expect(free.status).toBe(403);
    expect(free.body.errors?.map((e) => e.field)).toEqual([
      "expiresAt",
      "allowedIps",
      "credits",
      "rateLimit",
    ]);
    const within = await as<IssuedAccessToken>("POST", base, {
      body: {
        name: "within",
        type: "custom",
        permissions: ["orders:read"],
        duration: "30m",
        credits: { remaining: 5 },
        rateLimit: { limit: 5, window: "5m" },
        allowedIps: ["127.0.0.1/32"],
      },
    });
    expect(within.status).toBe(201);
    // ...or edit another token beyond them.
    const widen = await as<Problem>("PATCH", `${base}/${within.body.id}`, { body: { credits: null } });
    expect(widen.status).toBe(403);
  });

  it("keeps the IP and domain fences of tokens a fenced token makes inside its own", async () => {
    const base = `/api/v1/users/${alice.user.id}/access-tokens`;
    const fenced = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: {
          name: "fenced-maker",
          type: "full-access",
          allowedIps: ["127.0.0.0/8", "::1", "10.1.0.0/16"],
          allowedDomains: ["*.example.com", "admin.example.org:8443"],
        },
      })
    ).body;
    const as = client(srv.url, fenced.token);
    const origin = { origin: "https://console.example.com" };
    const make = (fences: Record<string, string[]>) =>
      as<Problem>("POST", base, {
        headers: origin,
        body: { name: "fenced-child", type: "read-only", ...fences },
      });
    const inside = [
      { allowedIps: ["127.0.0.1"], allowedDomains: ["shop.example.com"] },
      {
        allowedIps: ["10.1.2.0/24", "::1/128"],
        allowedDomains: ["*.api.example.com", "admin.example.org:8443"],
      },
    ];
    for (const fences of inside) expect((await make(fences)).status, JSON.stringify(fences)).toBe(201);
    const outside: [Record<string, string[]>, string][] = [
      [{ allowedIps: ["10.0.0.0/8"], allowedDomains: ["shop.example.com"] }, "allowedIps"],
      [{ allowedIps: ["::2"], allowedDomains: ["shop.example.com"] }, "allowedIps"],
      [{ allowedIps: ["127.0.0.1"], allowedDomains: ["example.com"] }, "allowedDomains"],
      [{ allowedIps: ["127.0.0.1"], allowedDomains: ["*.example.net"] }, "allowedDomains"],
      [{ allowedIps: ["127.0.0.1"], allowedDomains: ["admin.example.org"] }, "allowedDomains"],
      [{ allowedIps: ["127.0.0.1"] }, "allowedDomains"],
    ];
    for (const [fences, field] of outside) {
      const res = await make(fences);
      expect(res.status, JSON.stringify(fences)).toBe(403);
      expect(
        res.body.errors?.map((e) => e.field),
        JSON.stringify(fences),
      ).toEqual([field]);
    }
  });

  it("takes the credits a metered token gives another token from its own", async () => {
    const base = `/api/v1/users/${alice.user.id}/access-tokens`;
    const giver = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "giver", type: "full-access", credits: { remaining: 10 } },
      })
    ).body;
    const as = client(srv.url, giver.token);
    const child = await as<IssuedAccessToken>("POST", base, {
      body: { name: "child", type: "read-only", credits: { remaining: 6 } },
    });
    expect(child.status).toBe(201);
    // 10, less one for the call, less the 6 given, less one for this read.
    expect((await as<AccessToken>("GET", "/api/v1/access-tokens/self")).body.credits).toEqual({
      remaining: 2,
    });
    const more = await as<Problem>("POST", base, {
      body: { name: "second", type: "read-only", credits: { remaining: 6 } },
    });
    expect(more.status).toBe(403);
    expect(more.body.errors?.map((e) => e.field)).toEqual(["credits"]);
  });

  it("counts management calls against the caller's own rate limit and credits", async () => {
    const base = `/api/v1/users/${alice.user.id}/access-tokens`;
    const limited = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "rated", type: "full-access", rateLimit: { limit: 2, window: "1h" } },
      })
    ).body;
    const rated = client(srv.url, limited.token);
    const first = await rated("GET", "/api/v1/access-tokens/self");
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-remaining")).toBe("1");
    expect((await rated("GET", base)).status).toBe(200);
    const refused = await rated<Problem>("GET", base);
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toBe("the token's rate limit is exhausted");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);

    const paid = (
      await alice.as<IssuedAccessToken>("POST", base, {
        body: { name: "paid", type: "full-access", credits: { remaining: 2 } },
      })
    ).body;
    const payer = client(srv.url, paid.token);
    expect((await payer("GET", "/api/v1/user")).status).toBe(200);
    expect((await payer<AccessToken>("GET", "/api/v1/access-tokens/self")).body.credits).toEqual({
      remaining: 0,
    });
    const broke = await payer<Problem>("GET", "/api/v1/user");
    expect(broke.status).toBe(403);
    expect(broke.body.detail).toBe("the token's credits are used up");
  });
});
