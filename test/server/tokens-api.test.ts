import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessToken, IssuedAccessToken, Page, User } from "../../src/api/index.js";
import { inspectToken } from "../../src/core/index.js";
import { createUserWithToken, registerResource } from "../support/fixtures.js";
import { client } from "../support/http.js";
import { STORE_KINDS, startTestServer, type TestServer } from "../support/token-server.js";

describe.each(STORE_KINDS)("access tokens API on %s", (kind) => {
  let srv: TestServer;
  let adminUser: User;
  const tokensOf = (userId: string) => `/api/v1/users/${userId}/access-tokens`;

  beforeAll(async () => {
    srv = await startTestServer(kind);
    adminUser = (await srv.admin<User>("GET", "/api/v1/user")).body;
    await registerResource(srv, "orders");
    await registerResource(srv, "articles");
  });
  afterAll(() => srv.close());

  it("filters a user's tokens by ?name=", async () => {
    const { user, as } = await createUserWithToken(srv, `named-${kind}`);
    const a = (await as<IssuedAccessToken>("POST", tokensOf(user.id), { body: { name: "ci" } })).body;
    await as("POST", tokensOf(user.id), { body: { name: "laptop" } });
    const b = (await as<IssuedAccessToken>("POST", tokensOf(user.id), { body: { name: "ci" } })).body;
    const found = await as<Page<AccessToken>>("GET", `${tokensOf(user.id)}?name=ci`);
    expect(found.body.items.map((t) => t.id)).toEqual([a.id, b.id]);
    expect((await as<Page<AccessToken>>("GET", `${tokensOf(user.id)}?name=none`)).body.items).toEqual([]);
  });

  it("gives admins an inventory of every user's tokens, by owner, name, display prefix and state", async () => {
    const carol = await createUserWithToken(srv, `inv-carol-${kind}`);
    const dave = await createUserWithToken(srv, `inv-dave-${kind}`);
    const name = `leaky-${kind}`;
    const c = (await carol.as<IssuedAccessToken>("POST", tokensOf(carol.user.id), { body: { name } })).body;
    const d = (await dave.as<IssuedAccessToken>("POST", tokensOf(dave.user.id), { body: { name } })).body;
    const ids = async (query: string) =>
      (await srv.admin<Page<AccessToken>>("GET", `/api/v1/access-tokens?${query}`)).body.items.map(
        (t) => t.id,
      );
    expect(await ids(`name=${name}`)).toEqual([c.id, d.id]);
    expect(await ids(`name=${name}&userId=${dave.user.id}`)).toEqual([d.id]);
    expect(await ids(`displayPrefix=${c.displayPrefix}`)).toEqual([c.id]);
    expect(await ids(`name=${name}&state=active`)).toEqual([c.id, d.id]);
    expect(await ids(`name=${name}&state=expired`)).toEqual([]);
    const firstPage = await srv.admin<Page<AccessToken>>("GET", `/api/v1/access-tokens?name=${name}&limit=1`);
    expect(firstPage.body.items.map((t) => t.id)).toEqual([c.id]);
    const next = encodeURIComponent(firstPage.body.nextCursor as string);
    expect(await ids(`name=${name}&limit=1&cursor=${next}`)).toEqual([d.id]);
    expect(JSON.stringify(firstPage.body)).not.toContain(c.token);

    const bad = await srv.admin("GET", "/api/v1/access-tokens?state=gone&userId=x");
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { field: "userId", message: "must be a UUID" },
      { field: "state", message: "must be one of active, expired, revoked" },
    ]);
    expect((await carol.as("GET", "/api/v1/access-tokens")).status).toBe(403);
  });

  it("keeps revoked tokens, with the date, for admins; their externalId is free again", async () => {
    const { user, as } = await createUserWithToken(srv, `revoked-${kind}`);
    const t = (
      await as<IssuedAccessToken>("POST", tokensOf(user.id), { body: { name: "gone", externalId: "ext-1" } })
    ).body;
    expect((await as("DELETE", `${tokensOf(user.id)}/${t.id}`)).status).toBe(204);
    expect((await as("GET", `${tokensOf(user.id)}/${t.id}`)).status).toBe(404);
    expect((await as<Page<AccessToken>>("GET", tokensOf(user.id))).body.items.map((x) => x.id)).not.toContain(
      t.id,
    );
    expect((await as("DELETE", `${tokensOf(user.id)}/${t.id}`)).status).toBe(404);
    expect((await as("PATCH", `${tokensOf(user.id)}/${t.id}`, { body: { name: "back" } })).status).toBe(404);
    expect((await as("POST", `${tokensOf(user.id)}/${t.id}/regenerate`)).status).toBe(404);

    const revoked = await srv.admin<Page<AccessToken>>(
      "GET",
      `/api/v1/access-tokens?userId=${user.id}&state=revoked`,
    );
    expect(revoked.body.items).toHaveLength(1);
    expect(revoked.body.items[0]).toMatchObject({ id: t.id, name: "gone", externalId: null });
    const at = Date.parse(revoked.body.items[0]?.revokedAt as string);
    expect(at).toBeGreaterThanOrEqual(Date.parse(t.createdAt));
    const active = await srv.admin<Page<AccessToken>>("GET", `/api/v1/access-tokens?userId=${user.id}`);
    expect(active.body.items.map((x) => x.id)).not.toContain(t.id);
    expect(active.body.items.every((x) => x.revokedAt === null)).toBe(true);

    const again = await as<IssuedAccessToken>("POST", tokensOf(user.id), {
      body: { name: "successor", externalId: "ext-1" },
    });
    expect(again.status).toBe(201);
    const events = await srv.admin<Page<{ action: string; at: string }>>(
      "GET",
      `/api/v1/audit-events?tokenId=${t.id}`,
    );
    expect(events.body.items[0]?.action).toBe("token.revoke");
  });

  it("looks up and revokes a token by its value, for leak response (admins only)", async () => {
    const erin = await createUserWithToken(srv, `leak-erin-${kind}`);
    const leaked = (
      await erin.as<IssuedAccessToken>("POST", tokensOf(erin.user.id), { body: { name: "pasted" } })
    ).body;
    const found = await srv.admin<AccessToken>("POST", "/api/v1/access-tokens/lookup", {
      body: { token: leaked.token },
    });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ id: leaked.id, userId: erin.user.id, name: "pasted" });
    expect(found.text).not.toContain(leaked.token);
    expect(
      (await erin.as("POST", "/api/v1/access-tokens/lookup", { body: { token: leaked.token } })).status,
    ).toBe(403);
    const unknown = await srv.admin("POST", "/api/v1/access-tokens/lookup", {
      body: { token: leaked.token.slice(0, -1) + (leaked.token.endsWith("a") ? "b" : "a") },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toBe("no such token");
    const missing = await srv.admin("POST", "/api/v1/access-tokens/lookup", { body: {} });
    expect(missing.body.errors).toEqual([{ field: "token", message: "is required" }]);

    const revoked = await srv.admin<AccessToken>("POST", "/api/v1/access-tokens/revoke", {
      body: { token: leaked.token },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.id).toBe(leaked.id);
    const kept = await srv.admin<Page<AccessToken>>(
      "GET",
      `/api/v1/access-tokens?userId=${erin.user.id}&state=revoked`,
    );
    expect(kept.body.items.map((t) => t.id)).toEqual([leaked.id]);
    expect((await client(srv.url, leaked.token)("GET", "/api/v1/access-tokens/self")).status).toBe(401);
    expect(
      (await srv.admin("POST", "/api/v1/access-tokens/revoke", { body: { token: leaked.token } })).status,
    ).toBe(404);
    const events = await srv.admin<Page<{ action: string; details: Record<string, unknown> }>>(
      "GET",
      `/api/v1/audit-events?tokenId=${leaked.id}`,
    );
    expect(events.body.items[0]).toMatchObject({
      action: "token.revoke",
      details: { name: "pasted", byValue: true },
    });
    expect(srv.logs.text).not.toContain(leaked.token);
  });

  it("creates a token with every field and returns the plain token once", async () => {
    const body = {
      name: "storefront",
      description: "read orders and articles",
      type: "custom",
      permissions: ["orders:read", "articles:read"],
      kind: "secret",
      duration: "30d",
      allowedDomains: ["shop.example.com", "*.example.org"],
      allowedIps: ["10.0.0.0/8", "2001:db8::/32"],
      credits: { remaining: 1000, refill: { amount: 1000, interval: "monthly" } },
      rateLimit: { limit: 100, window: "1m" },
      metadata: { team: "shop", tier: 2 },
      externalId: "ext-1",
    };
    const res = await srv.admin<IssuedAccessToken>("POST", tokensOf(adminUser.id), { body });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const t = res.body;
    expect(inspectToken(t.token)).toEqual({ ok: true, kind: "secret" });
    expect(t.displayPrefix).toBe(t.token.slice(0, 8));
    expect(t).toMatchObject({
      userId: adminUser.id,
      name: "storefront",
      description: "read orders and articles",
      type: "custom",
      permissions: ["orders:read", "articles:read"],
      kind: "secret",
      duration: "30d",
      allowedDomains: ["shop.example.com", "*.example.org"],
      allowedIps: ["10.0.0.0/8", "2001:db8::/32"],
      signedRequests: false,
      credits: { remaining: 1000, refill: { amount: 1000, interval: "monthly" } },
      rateLimit: { limit: 100, window: "1m" },
      metadata: { team: "shop", tier: 2 },
      externalId: "ext-1",
      lastUsedAt: null,
      revision: 1,
    });
    const expires = Date.parse(t.expiresAt as string) - Date.parse(t.createdAt);
    expect(Math.abs(expires - 30 * 86_400_000)).toBeLessThan(60_000);

    const got = await srv.admin<AccessToken>("GET", `${tokensOf(adminUser.id)}/${t.id}`);
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty("token");
    expect(got.text).not.toContain(t.token);
  });

  it("applies defaults: read-only, secret, unlimited", async () => {
    const res = await srv.admin<IssuedAccessToken>("POST", tokensOf(adminUser.id), {
      body: { name: "defaults" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      type: "read-only",
      permissions: ["*:read"],
      kind: "secret",
      duration: "unlimited",
      expiresAt: null,
      allowedDomains: [],
      allowedIps: [],
      credits: null,
      rateLimit: null,
      metadata: {},
      externalId: null,
    });
  });

  it.each([
    ["7d", 7],
    ["90d", 90],
    ["12h", 0.5],
  ])("turns duration %s into an expiry", async (duration, days) => {
    const res = await srv.admin<IssuedAccessToken>("POST", tokensOf(adminUser.id), {
      body: { name: `d-${duration}`, duration },
    });
    expect(res.status).toBe(201);
    const span = Date.parse(res.body.expiresAt as string) - Date.parse(res.body.createdAt);
    expect(Math.abs(span - days * 86_400_000)).toBeLessThan(60_000);
  });

  it("accepts an explicit expiresAt", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const res = await srv.admin<IssuedAccessToken>("POST", tokensOf(adminUser.id), {
      body: { name: "explicit", expiresAt },
    });
    expect(res.status).toBe(201);
    expect(res.body.expiresAt).toBe(expiresAt);
    expect(res.body.duration).toBeNull();
  });

  it("creates publishable tokens with the tpp_ prefix, read-only by nature", async () => {
    const ok = await srv.admin<IssuedAccessToken>("POST", tokensOf(adminUser.id), {
      body: { name: "pub", kind: "publishable" },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.token.startsWith("tpp_")).toBe(true);
    const bad = await srv.admin("POST", tokensOf(adminUser.id), {
      body: {
        name: "pub-write",
        kind: "publishable",
        type: "custom",
        permissions: ["orders:read", "orders:create"],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([
      { field: "permissions[1]", message: "publishable tokens can only hold read permissions" },
    ]);
  });

  it("rejects bad input naming every field", async () => {
    const res = await srv.admin("POST", tokensOf(adminUser.id), {
      body: {
        name: "",
        type: "superuser",
        permissions: ["orders:write", "orders:read", "orders:read"],
        duration: "forever",
        allowedIps: ["10.0.0.0/33"],
        allowedDomains: ["not a domain"],
        credits: { remaining: -1 },
        rateLimit: { limit: 0, window: "1m" },
        extra: true,
      },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(
      [
        "allowedDomains[0]",
        "allowedIps[0]",
        "credits.remaining",
        "duration",
        "extra",
        "name",
        "permissions[0]",
        "permissions[2]",
        "rateLimit.limit",
        "type",
      ].sort(),
    );
  });

  it.each([
    [{ name: "x", type: "custom" }, "permissions", "at least one permission is required with type custom"],
    [
      { name: "x", type: "read-only", permissions: ["orders:read"] },
      "permissions",
      "only allowed with type custom (type is read-only)",
    ],
    [
      { name: "x", duration: "1d", expiresAt: new Date(Date.now() + 1e6).toISOString() },
      "expiresAt",
      "give either duration or expiresAt, not both",
    ],
    [{ name: "x", expiresAt: "2001-01-01T00:00:00Z" }, "expiresAt", "must be in the future"],
    [{ name: "x", duration: "999999999w" }, "duration", "must be at most 100 years"],
    [{ name: "x", rateLimit: { limit: 5, window: "2d" } }, "rateLimit.window", "must be between 1s and 1d"],
    [
      { name: "x", type: "custom", permissions: ["orders:read", "nothing:read"] },
      "permissions[1]",
      'unknown resource "nothing"; register it first (POST /api/v1/resources)',
    ],
  ])("rejects %j", async (body, field, message) => {
    const res = await srv.admin("POST", tokensOf(adminUser.id), { body });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field, message }]);
  });

  it("answers 409 with the existing id on a duplicate externalId, also when racing", async () => {
    const first = await srv.admin<IssuedAccessToken>("POST", tokensOf(adminUser.id), {
      body: { name: "a", externalId: "dup" },
    });
    expect(first.status).toBe(201);
    const again = await srv.admin("POST", tokensOf(adminUser.id), { body: { name: "b", externalId: "dup" } });
    expect(again.status).toBe(409);
    expect(again.body.existingId).toBe(first.body.id);

    const racers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        srv.admin<IssuedAccessToken>("POST", tokensOf(adminUser.id), {
          body: { name: `r${i}`, externalId: "race" },
        }),
      ),
    );
    const winners = racers.filter((r) => r.status === 201);
    expect(winners).toHaveLength(1);
    for (const loser of racers.filter((r) => r.status !== 201)) {
      expect(loser.status).toBe(409);
      expect((loser.body as unknown as { existingId: string }).existingId).toBe(winners[0]?.body.id);
    }
  });

  it("lists oldest first with cursor pagination and never shows plain tokens", async () => {
    const { user, as } = await createUserWithToken(srv, `pager-${kind}`);
    const created: IssuedAccessToken[] = [];
    for (let i = 0; i < 5; i++) {
      created.push(
        (await as<IssuedAccessToken>("POST", tokensOf(user.id), { body: { name: `p${i}` } })).body,
      );
    }
    const seen: AccessToken[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const page: { status: number; body: Page<AccessToken>; text: string } = await as<Page<AccessToken>>(
        "GET",
        tokensOf(user.id) + q,
      );
      expect(page.status).toBe(200);
      for (const c of created) expect(page.text).not.toContain(c.token);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    // The user's own token (created by the fixture) comes first, then p0..p4 in order.
    expect(seen.map((t) => t.name)).toEqual([`pager-${kind}-token`, "p0", "p1", "p2", "p3", "p4"]);

    const bad = await as("GET", `${tokensOf(user.id)}?cursor=garbage`);
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ field: "cursor", message: "is not a cursor this server issued" }]);
    const badLimit = await as("GET", `${tokensOf(user.id)}?limit=0`);
    expect(badLimit.status).toBe(400);
    expect((badLimit.body.errors as { field: string }[])[0]?.field).toBe("limit");
  });

  it("patches settings without changing the secret", async () => {
    const { user, as, token: own } = await createUserWithToken(srv, `patcher-${kind}`);
    const t = (
      await as<IssuedAccessToken>("POST", tokensOf(user.id), {
        body: { name: "p", type: "custom", permissions: ["orders:read"] },
      })
    ).body;
    const res = await as<AccessToken>("PATCH", `${tokensOf(user.id)}/${t.id}`, {
      body: {
        name: "renamed",
        description: "now writes",
        permissions: ["orders:read", "orders:create"],
        allowedIps: ["127.0.0.1"],
        metadata: { v: 2 },
        rateLimit: { limit: 10, window: "1s" },
        credits: { remaining: 5 },
        duration: "7d",
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "renamed",
      description: "now writes",
      permissions: ["orders:read", "orders:create"],
      allowedIps: ["127.0.0.1"],
      metadata: { v: 2 },
      rateLimit: { limit: 10, window: "1s" },
      credits: { remaining: 5 },
      duration: "7d",
      revision: 2,
      displayPrefix: t.displayPrefix,
    });
    // The same secret still authenticates.
    expect((await client(srv.url, t.token)("GET", "/api/v1/access-tokens/self")).status).toBe(200);
    // ...but holds no management permission.
    expect((await client(srv.url, t.token)("GET", tokensOf(user.id))).status).toBe(403);

    // Switching to a non-custom type drops custom permissions; removing limits with null.
    const retyped = await as<AccessToken>("PATCH", `${tokensOf(user.id)}/${t.id}`, {
      body: { type: "read-only", rateLimit: null, credits: null, expiresAt: null },
    });
    expect(retyped.body).toMatchObject({
      type: "read-only",
      permissions: ["*:read"],
      rateLimit: null,
      credits: null,
      expiresAt: null,
    });

    const kindChange = await as("PATCH", `${tokensOf(user.id)}/${t.id}`, { body: { kind: "publishable" } });
    expect(kindChange.status).toBe(422);
    expect(kindChange.body.errors).toEqual([{ field: "kind", message: "is not a known field" }]);
    const empty = await as<AccessToken>("PATCH", `${tokensOf(user.id)}/${own.id}`, { body: {} });
    expect(empty.status).toBe(200);
  });

  it("regenerates: new secret, same id and settings; the old one stops at once without a grace period", async () => {
    const { user, as } = await createUserWithToken(srv, `regen-${kind}`);
    const t = (
      await as<IssuedAccessToken>("POST", tokensOf(user.id), {
        body: { name: "r", type: "full-access", metadata: { a: 1 } },
      })
    ).body;
    const res = await as<IssuedAccessToken>("POST", `${tokensOf(user.id)}/${t.id}/regenerate`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body.id).toBe(t.id);
    expect(res.body.token).not.toBe(t.token);
    expect(res.body).toMatchObject({ name: "r", type: "full-access", metadata: { a: 1 }, revision: 2 });
    expect((await client(srv.url, res.body.token)("GET", "/api/v1/access-tokens/self")).status).toBe(200);
    expect((await client(srv.url, t.token)("GET", "/api/v1/access-tokens/self")).status).toBe(401);
  });

  it("regenerates with a grace period: both secrets work until it ends", async () => {
    const { user, as } = await createUserWithToken(srv, `grace-${kind}`);
    const t = (
      await as<IssuedAccessToken>("POST", tokensOf(user.id), { body: { name: "g", type: "full-access" } })
    ).body;
    const res = await as<IssuedAccessToken>("POST", `${tokensOf(user.id)}/${t.id}/regenerate`, {
      body: { gracePeriod: "1h" },
    });
    expect(res.status).toBe(200);
    expect((await client(srv.url, t.token)("GET", "/api/v1/access-tokens/self")).status).toBe(200);
    expect((await client(srv.url, res.body.token)("GET", "/api/v1/access-tokens/self")).status).toBe(200);
    // A second rotation without grace ends every earlier secret.
    const again = await as<IssuedAccessToken>("POST", `${tokensOf(user.id)}/${t.id}/regenerate`);
    expect((await client(srv.url, t.token)("GET", "/api/v1/access-tokens/self")).status).toBe(401);
    expect((await client(srv.url, res.body.token)("GET", "/api/v1/access-tokens/self")).status).toBe(401);
    expect((await client(srv.url, again.body.token)("GET", "/api/v1/access-tokens/self")).status).toBe(200);

    const tooLong = await as("POST", `${tokensOf(user.id)}/${t.id}/regenerate`, {
      body: { gracePeriod: "31d" },
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors).toEqual([{ field: "gracePeriod", message: "must be at most 30d" }]);
  });

  it("regenerates into another kind, and issues a signing key when signed requests are turned on", async () => {
    const { user, as } = await createUserWithToken(srv, `rekind-${kind}`);
    const t = (await as<IssuedAccessToken>("POST", tokensOf(user.id), { body: { name: "k" } })).body;
    const pub = await as<IssuedAccessToken>("POST", `${tokensOf(user.id)}/${t.id}/regenerate`, {
      body: { kind: "publishable" },
    });
    expect(pub.status).toBe(200);
    expect(pub.body.kind).toBe("publishable");
    expect(pub.body.token.startsWith("tpp_")).toBe(true);
    const signed = await as<IssuedAccessToken>("POST", `${tokensOf(user.id)}/${t.id}/regenerate`, {
      body: { signedRequests: true },
    });
    expect(signed.body.signedRequests).toBe(true);
    expect(signed.body.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const again = await as("GET", `${tokensOf(user.id)}/${t.id}`);
    expect(again.text).not.toContain("PRIVATE KEY");
  });

  it("revokes: 204, then the token fails at once and is gone", async () => {
    const { user, as } = await createUserWithToken(srv, `revoker-${kind}`);
    const t = (
      await as<IssuedAccessToken>("POST", tokensOf(user.id), { body: { name: "v", type: "full-access" } })
    ).body;
    const victim = client(srv.url, t.token);
    expect((await victim("GET", "/api/v1/access-tokens/self")).status).toBe(200);
    const del = await as("DELETE", `${tokensOf(user.id)}/${t.id}`);
    expect(del.status).toBe(204);
    expect((await victim("GET", "/api/v1/access-tokens/self")).status).toBe(401);
    expect((await as("GET", `${tokensOf(user.id)}/${t.id}`)).status).toBe(404);
    expect((await as("DELETE", `${tokensOf(user.id)}/${t.id}`)).status).toBe(404);
  });

  it("answers /access-tokens/self with the calling token through each header", async () => {
    const { token } = await createUserWithToken(srv, `self-${kind}`);
    const variants: Record<string, string>[] = [
      { authorization: `Bearer ${token.token}` },
      { "private-token": token.token },
      { "x-api-key": token.token },
    ];
    for (const headers of variants) {
      const res = await srv.anonymous<AccessToken>("GET", "/api/v1/access-tokens/self", { headers });
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(token.id);
    }
  });

  it("404s tokens and users that do not exist", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    expect((await srv.admin("GET", `${tokensOf(adminUser.id)}/${missing}`)).status).toBe(404);
    expect((await srv.admin("GET", `${tokensOf(adminUser.id)}/not-a-uuid`)).status).toBe(404);
    expect((await srv.admin("GET", tokensOf(missing))).status).toBe(404);
    expect((await srv.admin("POST", tokensOf(missing), { body: { name: "x" } })).status).toBe(404);
  });
});
