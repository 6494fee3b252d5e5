import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User } from "../../src/api/index.js";
import { signRequest } from "../../src/client/index.js";
import { STORE_KINDS, startTestServer, type TestServer } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

describe.each(STORE_KINDS)("GET /api/v1/authorize (forward auth) on %s", (kind) => {
  let srv: TestServer;
  let me: User;
  const create = async (body: Record<string, unknown>) =>
    (await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, { body })).body;
  const nginx = (method: string, uri: string, headers: Record<string, string> = {}) =>
    srv.anonymous("GET", "/api/v1/authorize", {
      headers: { "x-original-method": method, "x-original-uri": uri, ...headers },
    });
  const traefik = (method: string, uri: string, headers: Record<string, string> = {}) =>
    srv.anonymous("GET", "/api/v1/authorize", {
      headers: { "x-forwarded-method": method, "x-forwarded-uri": uri, ...headers },
    });

  beforeAll(async () => {
    srv = await startTestServer(kind, { trustProxy: "loopback" });
    me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    await srv.admin("POST", "/api/v1/resources", {
      body: {
        name: "orders",
        routes: [{ pathPrefix: "/api/orders" }, { pathPrefix: "/api/orders/export", methods: ["GET"] }],
      },
    });
    await srv.admin("POST", "/api/v1/resources", {
      body: { name: "exports", routes: [{ pathPrefix: "/api/orders/export", methods: ["GET"] }] },
    });
    await srv.admin("POST", "/api/v1/resources", {
      body: { name: "articles", routes: [{ pathPrefix: "/articles" }] },
    });
    await srv.admin("POST", "/api/v1/resources", {
      body: { name: "admin", routes: [{ pathPrefix: "/admin" }] },
    });
  });
  afterAll(() => srv.close());

  it("maps path to resource and method to action, for nginx, Traefik and Envoy", async () => {
    const t = await create({ name: "fa", type: "custom", permissions: ["orders:read", "orders:create"] });
    const auth = { authorization: `Bearer ${t.token}` };
    const ok = await nginx("GET", "/api/orders/7?x=1", auth);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-token-id")).toBe(t.id);
    expect(ok.headers.get("x-token-user")).toBe(me.id);
    expect((await traefik("POST", "/api/orders", { "x-api-key": t.token })).status).toBe(200);
    expect((await traefik("HEAD", "/api/orders", { "private-token": t.token })).status).toBe(200);
    expect((await nginx("DELETE", "/api/orders/7", auth)).status).toBe(403);
    expect((await nginx("PUT", "/api/orders/7", auth)).status).toBe(403);
    expect((await nginx("GET", "/articles/1", auth)).status).toBe(403);
    // ingress-nginx sends the full URL in X-Original-URL.
    const full = await srv.anonymous("GET", "/api/v1/authorize", {
      headers: {
        ...auth,
        "x-original-url": "https://shop.example.com/api/orders/1",
        "x-original-method": "GET",
      },
    });
    expect(full.status).toBe(200);
    // Envoy ext_authz (HTTP): the original method, and the original path after the prefix.
    const envoy = await srv.anonymous("POST", "/api/v1/authorize/api/orders?draft=1", { headers: auth });
    expect(envoy.status).toBe(200);
    const envoyDenied = await srv.anonymous("DELETE", "/api/v1/authorize/api/orders/1", { headers: auth });
    expect(envoyDenied.status).toBe(403);
  });

  it("uses the most specific route, honouring its methods", async () => {
    const t = await create({ name: "exp", type: "custom", permissions: ["exports:read"] });
    const auth = { authorization: `Bearer ${t.token}` };
    expect((await nginx("GET", "/api/orders/export/2024", auth)).status).toBe(200);
    expect((await nginx("GET", "/api/orders/1", auth)).status).toBe(403);
    // POST is not listed for the export route, so the broader orders route applies.
    expect((await nginx("POST", "/api/orders/export", auth)).status).toBe(403);
  });

  it("refuses paths that proxies and upstreams could read differently (403, naming why)", async () => {
    await srv.admin("PUT", "/api/v1/settings/default-permissions", {
      body: { permissions: ["articles:read"] },
    });
    expect((await nginx("GET", "/articles/1")).status).toBe(200);
    expect((await nginx("GET", "/articles/caf%C3%A9?x=%2e%2e")).status).toBe(200);
    for (const [uri, why] of [
      ["/articles/../admin/users", "dot segment"],
      ["/articles/%2e%2e/admin", "percent-encodes"],
      ["/articles/..%2Fadmin", "percent-encodes"],
      ["//admin", "empty segment"],
      ["/articles/./../admin", "dot segment"],
      ["/articles;/../admin", "; parameter"],
      ["/articles\\..\\admin", "backslash"],
      ["/articles/%E0%A4%A", "malformed"],
      ["/articles/%E0%A4", "not UTF-8"],
      ["/Admin", "another resource"],
      ["/%61dmin", "percent-encodes"],
    ] as const) {
      const res = await nginx("GET", uri);
      expect(res.status, uri).toBe(403);
      expect(res.body.detail, uri).toContain(why);
      expect(res.body.errors, uri).toEqual([
        { field: "X-Original-URI", message: expect.stringContaining(why) },
      ]);
    }
    expect((await nginx("GET", "/articlesx")).status).toBe(403);
    // Not even a CORS preflight reaches the upstream on an ambiguous path.
    expect((await nginx("OPTIONS", "/articles/../admin")).status).toBe(403);
    expect((await nginx("OPTIONS", "/admin")).status).toBe(200);
    await srv.admin("PUT", "/api/v1/settings/default-permissions", { body: { permissions: [] } });
  });

  it("covers a trailing-slash prefix's own root, segment-wise", async () => {
    await srv.admin("POST", "/api/v1/resources", {
      body: { name: "baskets", routes: [{ pathPrefix: "/baskets/" }] },
    });
    const t = await create({ name: "basket", type: "custom", permissions: ["baskets:read"] });
    const auth = { authorization: `Bearer ${t.token}` };
    await waitFor(async () => (await nginx("GET", "/baskets/1", auth)).status === 200, {
      what: "the baskets route",
    });
    expect((await nginx("GET", "/baskets", auth)).status).toBe(200);
    expect((await nginx("GET", "/baskets/", auth)).status).toBe(200);
    expect((await nginx("GET", "/basketsx", auth)).status).toBe(403);
  });

  it("reads each proxy's own headers at its endpoint, never a client's", async () => {
    const t = await create({ name: "one-way", type: "custom", permissions: ["articles:read"] });
    const auth = { authorization: `Bearer ${t.token}` };
    // The real request is DELETE /admin; the client adds another proxy's headers naming an allowed one.
    const spoofTraefik = { "x-forwarded-method": "GET", "x-forwarded-uri": "/articles/1" };
    const spoofNginx = { "x-original-method": "GET", "x-original-uri": "/articles/1" };
    const at = (endpoint: string, headers: Record<string, string>, method = "GET") =>
      srv.anonymous(method, `/api/v1/authorize${endpoint}`, { headers: { ...auth, ...headers } });
    const nginxSent = { "x-original-method": "DELETE", "x-original-uri": "/admin" };
    expect((await at("/nginx", { ...nginxSent, ...spoofTraefik })).status).toBe(403);
    expect((await at("/nginx", { ...spoofNginx, ...spoofTraefik })).status).toBe(200);
    const ingressSent = { "x-original-method": "DELETE", "x-original-url": "https://shop.example.com/admin" };
    expect((await at("/ingress-nginx", { ...ingressSent, "x-original-uri": "/articles/1" })).status).toBe(
      403,
    );
    expect(
      (
        await at("/ingress-nginx", {
          "x-original-method": "GET",
          "x-original-url": "https://shop.example.com/articles/1",
        })
      ).status,
    ).toBe(200);
    const traefikSent = { "x-forwarded-method": "DELETE", "x-forwarded-uri": "/admin" };
    expect((await at("/traefik", { ...traefikSent, ...spoofNginx })).status).toBe(403);
    expect((await at("/traefik", spoofTraefik)).status).toBe(200);
    expect((await at("/envoy/admin", { ...spoofNginx, ...spoofTraefik }, "DELETE")).status).toBe(403);
    expect((await at("/envoy/articles/1?x=1", {})).status).toBe(200);
    // Plain /api/v1/authorize: one proxy's headers work; more than one is refused.
    expect((await at("", spoofNginx)).status).toBe(200);
    expect((await at("", spoofTraefik)).status).toBe(200);
    for (const [endpoint, sent] of [
      ["", nginxSent],
      ["", ingressSent],
      ["", traefikSent],
      ["/admin", {}],
    ] as const) {
      const mixed = await at(endpoint, {
        ...sent,
        ...(endpoint === "" && "x-forwarded-uri" in sent ? spoofNginx : spoofTraefik),
      });
      expect(mixed.status, JSON.stringify(sent)).toBe(400);
      expect(mixed.body.detail).toContain("more than one proxy");
    }
    // A missing header is named.
    const missing = await at("/nginx", { "x-original-uri": "/articles/1" });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ field: "X-Original-Method", message: "is required" }]);
    expect((await at("/traefik/x", spoofTraefik)).status).toBe(400);
  });

  it("lets anonymous requests through only as the default permissions allow", async () => {
    expect((await nginx("GET", "/articles/1")).status).toBe(401);
    const unauth = await nginx("GET", "/articles/1");
    expect(unauth.headers.get("www-authenticate")).toBe('Bearer realm="tokenplane"');
    await srv.admin("PUT", "/api/v1/settings/default-permissions", {
      body: { permissions: ["articles:read"] },
    });
    const anon = await nginx("GET", "/articles/1");
    expect(anon.status).toBe(200);
    expect(anon.headers.get("x-token-id")).toBeNull();
    expect((await nginx("POST", "/articles")).status).toBe(401);
    await srv.admin("PUT", "/api/v1/settings/default-permissions", { body: { permissions: [] } });
    expect((await nginx("GET", "/articles/1")).status).toBe(401);
  });

  it("refuses unknown paths, odd methods and missing original-request headers; allows CORS preflights", async () => {
    const t = await create({ name: "any", type: "full-access" });
    const auth = { authorization: `Bearer ${t.token}` };
    expect((await nginx("GET", "/nowhere", auth)).status).toBe(403);
    expect((await nginx("TRACE", "/api/orders", auth)).status).toBe(403);
    expect((await nginx("OPTIONS", "/api/orders")).status).toBe(200);
    const missing = await srv.anonymous("GET", "/api/v1/authorize", { headers: auth });
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toContain("X-Forwarded-Uri");
  });

  it("answers 401 for unknown, expired or revoked tokens", async () => {
    const t = await create({ name: "gone", type: "full-access" });
    const auth = { authorization: `Bearer ${t.token}` };
    expect((await nginx("GET", "/api/orders", auth)).status).toBe(200);
    await srv.admin("DELETE", `/api/v1/users/${me.id}/access-tokens/${t.id}`);
    expect((await nginx("GET", "/api/orders", auth)).status).toBe(401);
    expect((await nginx("GET", "/api/orders", { authorization: "Bearer tps_nope" })).status).toBe(401);
  });

  it("says why a token was refused, for machines: its code and the denial, as verify does", async () => {
    const t = await create({
      name: "why",
      type: "custom",
      permissions: ["orders:read"],
      rateLimit: { limit: 1, window: "1m" },
    });
    const auth = { authorization: `Bearer ${t.token}` };
    const forbidden = await nginx("DELETE", "/api/orders/7", auth);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({
      code: "FORBIDDEN",
      denial: { reason: "permission_missing", permission: "orders:delete" },
    });
    await nginx("GET", "/api/orders/7", auth);
    const limited = await nginx("GET", "/api/orders/7", auth);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      code: "RATE_LIMITED",
      denial: { reason: "limit_reached", limit: "rateLimit" },
    });
    // An unknown token is told nothing more than its code.
    const unknown = await nginx("GET", "/api/orders/7", { authorization: "Bearer tps_unknown" });
    expect(unknown.status).toBe(401);
    expect(unknown.body).not.toHaveProperty("denial");
    expect(JSON.stringify([forbidden.body, limited.body])).not.toContain(t.token);
  });

  it("answers 429 with Retry-After and RateLimit headers when rate-limited", async () => {
    const t = await create({ name: "rl", type: "full-access", rateLimit: { limit: 2, window: "10s" } });
    const auth = { authorization: `Bearer ${t.token}` };
    const first = await nginx("GET", "/api/orders", auth);
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-limit")).toBe("2");
    expect(first.headers.get("ratelimit-remaining")).toBe("1");
    await nginx("GET", "/api/orders", auth);
    const limited = await nginx("GET", "/api/orders", auth);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(10);
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("ratelimit-reset"))).toBeGreaterThanOrEqual(1);
  });

  it("answers 429 with Retry-After when refilling credits run out, 403 when they never come back", async () => {
    const refilling = await create({
      name: "cr",
      type: "full-access",
      credits: { remaining: 1, refill: { amount: 1, interval: "daily" } },
    });
    const once = await create({ name: "cr1", type: "full-access", credits: { remaining: 1 } });
    for (const t of [refilling, once])
      expect((await nginx("GET", "/api/orders", { authorization: `Bearer ${t.token}` })).status).toBe(200);
    const later = await nginx("GET", "/api/orders", { authorization: `Bearer ${refilling.token}` });
    expect(later.status).toBe(429);
    expect(Number(later.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(later.headers.get("retry-after"))).toBeLessThanOrEqual(86_400);
    expect((await nginx("GET", "/api/orders", { authorization: `Bearer ${once.token}` })).status).toBe(403);
  });

  it("checks the client IP from a trusted proxy's X-Forwarded-For, and the Origin", async () => {
    const t = await create({
      name: "fenced",
      type: "full-access",
      allowedIps: ["203.0.113.0/24"],
      allowedDomains: ["shop.example.com"],
    });
    const headers = { authorization: `Bearer ${t.token}`, origin: "https://shop.example.com" };
    expect((await nginx("GET", "/api/orders", { ...headers, "x-forwarded-for": "203.0.113.9" })).status).toBe(
      200,
    );
    expect(
      (await nginx("GET", "/api/orders", { ...headers, "x-forwarded-for": "198.51.100.1" })).status,
    ).toBe(403);
    expect(
      (
        await nginx("GET", "/api/orders", {
          ...headers,
          "x-forwarded-for": "203.0.113.9",
          origin: "https://evil.example",
        })
      ).status,
    ).toBe(403);
  });

  it("verifies signed requests from the forwarded headers, and the forwarded body when there is one", async () => {
    const t = await create({ name: "sig", type: "full-access", signedRequests: true });
    const url = "https://shop.example.com/api/orders";
    const body = '{"item":1}';
    const signed = await signRequest({ method: "POST", url, body }, t.privateKey as string);
    const forward = (extra: Record<string, string>, rawBody?: string) =>
      srv.anonymous("POST", "/api/v1/authorize", {
        headers: {
          authorization: `Bearer ${t.token}`,
          "x-forwarded-method": "POST",
          "x-forwarded-uri": "/api/orders",
          "x-forwarded-host": "shop.example.com",
          ...extra,
        },
        ...(rawBody !== undefined ? { rawBody } : {}),
      });
    expect((await forward({})).status).toBe(401);
    expect((await forward(signed, body)).status).toBe(200);
    const again = await signRequest({ method: "POST", url, body }, t.privateKey as string);
    expect((await forward(again, '{"item":999}')).status).toBe(401);
  });

  it("takes effect at once after a permission change on this replica", async () => {
    const t = await create({ name: "changing", type: "custom", permissions: ["orders:read"] });
    const auth = { authorization: `Bearer ${t.token}` };
    expect((await nginx("DELETE", "/api/orders/1", auth)).status).toBe(403);
    await srv.admin("PATCH", `/api/v1/users/${me.id}/access-tokens/${t.id}`, {
      body: { permissions: ["orders:*"] },
    });
    expect((await nginx("DELETE", "/api/orders/1", auth)).status).toBe(200);
    await srv.admin("POST", "/api/v1/resources", {
      body: { name: "late", routes: [{ pathPrefix: "/late" }] },
    });
    await waitFor(async () => (await nginx("GET", "/late", auth)).status === 403, { what: "the new route" });
  });
});
