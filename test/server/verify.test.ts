import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessToken, IssuedAccessToken, User, VerifyResult } from "../../src/api/index.js";
import { generateToken } from "../../src/core/index.js";
import { registerResource } from "../support/fixtures.js";
import { client, type Client } from "../support/http.js";
import {
  STORE_KINDS,
  startTestServer,
  startTestServerWith,
  type TestServer,
} from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

const DAY = 86_400_000;

describe.each(STORE_KINDS)("POST /api/v1/verify on %s", (kind) => {
  let srv: TestServer;
  let me: User;
  let clock = Date.now();
  const verify = (body: Record<string, unknown>) =>
    srv.anonymous<VerifyResult>("POST", "/api/v1/verify", { body });
  const create = async (body: Record<string, unknown>) =>
    (await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, { body })).body;
  const read = async (id: string) =>
    (await srv.admin<AccessToken>("GET", `/api/v1/users/${me.id}/access-tokens/${id}`)).body;

  beforeAll(async () => {
    srv = await startTestServer(kind, { now: () => clock });
    me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    await registerResource(srv, "orders");
    await registerResource(srv, "articles");
  });
  afterAll(() => srv.close());

  it("answers VALID with the token's identity, permissions and metadata", async () => {
    const t = await create({
      name: "v",
      type: "custom",
      permissions: ["orders:read", "articles:*"],
      metadata: { plan: "pro" },
      duration: "30d",
    });
    const res = await verify({ token: t.token, permission: "orders:read" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      valid: true,
      code: "VALID",
      tokenId: t.id,
      userId: me.id,
      name: "v",
      permissions: ["orders:read", "articles:*"],
      metadata: { plan: "pro" },
      expiresAt: t.expiresAt,
    });
    expect((await verify({ token: t.token, permission: "articles:delete" })).body.code).toBe("VALID");
    expect((await verify({ token: t.token })).body.code).toBe("VALID");
  });

  it("answers FORBIDDEN without the permission, and NOT_FOUND for unknown, malformed and revoked tokens", async () => {
    const t = await create({ name: "f", type: "custom", permissions: ["orders:read"] });
    expect((await verify({ token: t.token, permission: "orders:delete" })).body).toMatchObject({
      valid: false,
      code: "FORBIDDEN",
      tokenId: t.id,
    });
    expect((await verify({ token: t.token, permission: "orders:*" })).body.code).toBe("FORBIDDEN");
    const typo = t.token.slice(0, 20) + (t.token[20] === "A" ? "B" : "A") + t.token.slice(21);
    for (const token of [
      generateToken(),
      typo,
      "tps_short",
      "not-a-token",
      "x".repeat(4000),
      "tps_ü".padEnd(53, "x"),
    ]) {
      expect((await verify({ token })).body, token.slice(0, 12)).toEqual({ valid: false, code: "NOT_FOUND" });
    }
    await srv.admin("DELETE", `/api/v1/users/${me.id}/access-tokens/${t.id}`);
    expect((await verify({ token: t.token })).body).toEqual({ valid: false, code: "NOT_FOUND" });
  });

  it("answers EXPIRED once the expiry has passed", async () => {
    const t = await create({ name: "e", duration: "1h" });
    expect((await verify({ token: t.token })).body.code).toBe("VALID");
    clock += 2 * 3_600_000;
    expect((await verify({ token: t.token })).body).toMatchObject({
      valid: false,
      code: "EXPIRED",
      tokenId: t.id,
    });
    clock = Date.now();
  });

  it("checks allowed origins: Origin or Referer, exact hosts, wildcards and ports", async () => {
    const t = await create({
      name: "o",
      allowedDomains: ["shop.example.com", "*.example.org", "api.example.net:8443"],
    });
    const code = async (origin?: string) =>
      (await verify({ token: t.token, ...(origin ? { origin } : {}) })).body.code;
    expect(await code("https://shop.example.com")).toBe("VALID");
    expect(await code("https://SHOP.example.com:444/page")).toBe("VALID");
    expect(await code("https://a.b.example.org/x?y")).toBe("VALID");
    expect(await code("https://api.example.net:8443")).toBe("VALID");
    expect(await code("shop.example.com")).toBe("VALID");
    expect(await code("https://example.org")).toBe("ORIGIN_NOT_ALLOWED");
    expect(await code("https://api.example.net")).toBe("ORIGIN_NOT_ALLOWED");
    expect(await code("https://shop.example.com.evil.io")).toBe("ORIGIN_NOT_ALLOWED");
    expect(await code("https://evilshop.example.com")).toBe("ORIGIN_NOT_ALLOWED");
    expect(await code("null")).toBe("ORIGIN_NOT_ALLOWED");
    expect(await code(undefined)).toBe("ORIGIN_NOT_ALLOWED");
  });

  it("checks allowed IP ranges, IPv4 and IPv6", async () => {
    const t = await create({ name: "ip", allowedIps: ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"] });
    const code = async (ip?: string) => (await verify({ token: t.token, ...(ip ? { ip } : {}) })).body.code;
    expect(await code("10.1.2.3")).toBe("VALID");
    expect(await code("::ffff:10.1.2.3")).toBe("VALID");
    expect(await code("192.0.2.7")).toBe("VALID");
    expect(await code("2001:db8:1::5")).toBe("VALID");
    expect(await code("192.0.2.8")).toBe("IP_NOT_ALLOWED");
    expect(await code("11.0.0.1")).toBe("IP_NOT_ALLOWED");
    expect(await code("2001:db9::1")).toBe("IP_NOT_ALLOWED");
    expect(await code(undefined)).toBe("IP_NOT_ALLOWED");
  });

  it("spends credits only on VALID results, and updates lastUsedAt only then, at most once a minute", async () => {
    const t = await create({
      name: "c",
      type: "custom",
      permissions: ["orders:read"],
      credits: { remaining: 3 },
    });
    await verify({ token: t.token, permission: "orders:delete" });
    await verify({ token: t.token, permission: "articles:read" });
    let after = await read(t.id);
    expect(after.credits).toEqual({ remaining: 3 });
    expect(after.lastUsedAt).toBeNull();

    const first = await verify({ token: t.token, permission: "orders:read" });
    expect(first.body).toMatchObject({ code: "VALID", credits: { remaining: 2 } });
    const used = await waitFor(async () => (await read(t.id)).lastUsedAt ?? undefined, {
      what: "lastUsedAt",
    });
    expect((await verify({ token: t.token, cost: 2 })).body).toMatchObject({
      code: "VALID",
      credits: { remaining: 0 },
    });
    expect((await verify({ token: t.token })).body).toMatchObject({
      valid: false,
      code: "USAGE_EXCEEDED",
      credits: { remaining: 0 },
    });
    expect((await verify({ token: t.token, cost: 0 })).body).toMatchObject({
      code: "VALID",
      credits: { remaining: 0 },
    });
    after = await read(t.id);
    expect(after.credits).toEqual({ remaining: 0 });
    expect(after.lastUsedAt).toBe(used); // within the minute: not written again

    clock += 61_000;
    await verify({ token: t.token, cost: 0 });
    const later = await waitFor(
      async () => {
        const at = (await read(t.id)).lastUsedAt;
        return at !== used ? at : undefined;
      },
      { what: "lastUsedAt to move after a minute" },
    );
    expect(Date.parse(later as string)).toBeGreaterThan(Date.parse(used));
    clock = Date.now();
  });

  it("never spends a credit twice or below zero under concurrent requests", async () => {
    const t = await create({ name: "race", credits: { remaining: 20 } });
    const results = await Promise.all(Array.from({ length: 60 }, () => verify({ token: t.token })));
    const codes = results.map((r) => r.body.code);
    expect(codes.filter((c) => c === "VALID")).toHaveLength(20);
    expect(codes.filter((c) => c === "USAGE_EXCEEDED")).toHaveLength(40);
    const remaining = results
      .filter((r) => r.body.code === "VALID")
      .map((r) => r.body.credits?.remaining)
      .sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(remaining).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await read(t.id)).credits).toEqual({ remaining: 0 });
  });

  it.each([
    ["daily", DAY],
    ["weekly", 7 * DAY],
    ["monthly", 31 * DAY],
  ])("refills %s credits at the start of the next period, once", async (interval, span) => {
    clock = Date.UTC(2030, 0, 15, 12); // a Tuesday, mid-month
    const t = await create({
      name: `refill-${interval}`,
      credits: { remaining: 2, refill: { amount: 5, interval } },
    });
    expect((await verify({ token: t.token, cost: 2 })).body.credits).toEqual({ remaining: 0 });
    expect((await verify({ token: t.token })).body.code).toBe("USAGE_EXCEEDED");
    clock += span;
    const refilled = await Promise.all(Array.from({ length: 8 }, () => verify({ token: t.token })));
    expect(refilled.filter((r) => r.body.code === "VALID")).toHaveLength(5);
    expect((await read(t.id)).credits).toEqual({ remaining: 0, refill: { amount: 5, interval } });
    clock = Date.now();
  });

  it("rate-limits per token with the state in the answer", async () => {
    const t = await create({ name: "rl", rateLimit: { limit: 5, window: "2s" } });
    const results = await Promise.all(Array.from({ length: 8 }, () => verify({ token: t.token })));
    const ok = results.filter((r) => r.body.code === "VALID");
    const limited = results.filter((r) => r.body.code === "RATE_LIMITED");
    expect(ok).toHaveLength(5);
    expect(limited).toHaveLength(3);
    expect(limited[0]?.body.rateLimit).toMatchObject({ limit: 5, remaining: 0 });
    expect(ok.map((r) => r.body.rateLimit?.remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    const reset = Date.parse(limited[0]?.body.rateLimit?.reset as string);
    expect(reset).toBe(clock + 2000);
    clock += 1999;
    expect((await verify({ token: t.token })).body.code).toBe("RATE_LIMITED");
    clock += 1;
    expect((await verify({ token: t.token })).body).toMatchObject({
      code: "VALID",
      rateLimit: { limit: 5, remaining: 4 },
    });
    clock = Date.now();
  });

  it("says why a token was refused: which permission, which limit, and logs it with the display prefix", async () => {
    const t = await create({
      name: "why",
      type: "custom",
      permissions: ["orders:read"],
      allowedIps: ["10.0.0.0/8"],
      allowedDomains: ["shop.example.com"],
      credits: { remaining: 1 },
      rateLimit: { limit: 2, window: "1m" },
    });
    const ok = { token: t.token, ip: "10.1.2.3", origin: "https://shop.example.com" };
    const forbidden = await verify({ ...ok, permission: "orders:delete" });
    expect(forbidden.body).toMatchObject({
      code: "FORBIDDEN",
      denial: { reason: "permission_missing", permission: "orders:delete" },
    });
    expect((await verify({ ...ok, ip: "192.0.2.1" })).body.denial).toEqual({ reason: "ip_not_allowed" });
    expect((await verify({ ...ok, origin: "https://evil.example" })).body.denial).toEqual({
      reason: "origin_not_allowed",
    });
    expect((await verify(ok)).body).toMatchObject({ code: "VALID" });
    expect((await verify(ok)).body.denial).toEqual({ reason: "limit_reached", limit: "credits" });
    expect((await verify(ok)).body.denial).toEqual({ reason: "limit_reached", limit: "rateLimit" });
    const shortLived = await create({ name: "why-expired", duration: "1h" });
    clock += 2 * 3_600_000;
    expect((await verify({ token: shortLived.token })).body).toMatchObject({
      code: "EXPIRED",
      denial: { reason: "expired" },
    });
    clock = Date.now();
    const unknown = await verify({ token: generateToken() });
    expect(unknown.body).toEqual({ valid: false, code: "NOT_FOUND" });

    // Refusals are logged at most 20 a second: earlier tests' floods may have used up this
    // second's share, so refuse again until a line for this token is written.
    const line = await waitFor(
      async () => {
        await verify({ ...ok, permission: "orders:delete" });
        return srv.logs.lines
          .map((l) => JSON.parse(l) as { msg: string; code?: string; token?: string })
          .find(
            (l) => l.msg === "verification refused" && l.token === t.displayPrefix && l.code === "FORBIDDEN",
          );
      },
      { what: "the refusal to be logged", intervalMs: 100, timeoutMs: 5000 },
    );
    expect(line).toMatchObject({
      level: 30,
      code: "FORBIDDEN",
      token: t.displayPrefix,
      denial: { reason: "permission_missing", permission: "orders:delete" },
    });
    expect(srv.logs.text).not.toContain(t.token);
  });

  it("still reports the credits left when it answers RATE_LIMITED", async () => {
    const t = await create({
      name: "rlc",
      credits: { remaining: 10 },
      rateLimit: { limit: 2, window: "1m" },
    });
    expect((await verify({ token: t.token, cost: 3 })).body).toMatchObject({
      code: "VALID",
      credits: { remaining: 7 },
    });
    expect((await verify({ token: t.token })).body.credits).toEqual({ remaining: 6 });
    expect((await verify({ token: t.token })).body).toMatchObject({
      code: "RATE_LIMITED",
      credits: { remaining: 6 },
      rateLimit: { limit: 2, remaining: 0 },
    });
    clock = Date.now();
  });

  it("keeps an expired token expired: its expiry cannot be moved or cleared", async () => {
    const t = await create({ name: "exp", duration: "1h" });
    clock += 2 * 3_600_000;
    const path = `/api/v1/users/${me.id}/access-tokens/${t.id}`;
    for (const body of [{ expiresAt: null }, { duration: "30d" }, { duration: "unlimited" }]) {
      const res = await srv.admin("PATCH", path, { body });
      expect(res.status, JSON.stringify(body)).toBe(409);
      expect(res.body.detail).toBe(
        `the token expired at ${t.expiresAt} and stays expired; create a new token`,
      );
    }
    expect((await verify({ token: t.token })).body.code).toBe("EXPIRED");
    const described = await srv.admin<AccessToken>("PATCH", path, { body: { description: "dead" } });
    expect(described.status).toBe(200);
    expect(described.body.expiresAt).toBe(t.expiresAt);
    clock = Date.now();
  });

  it("shows no expiry as duration unlimited however it was set", async () => {
    const made = await create({ name: "unl", duration: "unlimited" });
    expect(made).toMatchObject({ duration: "unlimited", expiresAt: null });
    const dated = await create({ name: "dated", expiresAt: new Date(clock + 86_400_000).toISOString() });
    expect(dated.duration).toBeNull();
    const path = `/api/v1/users/${me.id}/access-tokens/${dated.id}`;
    const cleared = await srv.admin<AccessToken>("PATCH", path, { body: { expiresAt: null } });
    expect(cleared.body).toMatchObject({ duration: "unlimited", expiresAt: null });
    expect((await read(dated.id)).duration).toBe("unlimited");
  });

  it("writes nothing for a PATCH that changes nothing: same revision, no audit entry", async () => {
    const t = await create({ name: "same", description: "d", type: "custom", permissions: ["orders:read"] });
    const path = `/api/v1/users/${me.id}/access-tokens/${t.id}`;
    for (const body of [{}, { description: "d" }, { name: "same", permissions: ["orders:read"] }]) {
      const res = await srv.admin<AccessToken>("PATCH", path, { body });
      expect(res.status).toBe(200);
      expect(res.body.revision, JSON.stringify(body)).toBe(t.revision);
      expect(res.body.updatedAt).toBe(t.updatedAt);
    }
    const events = await srv.admin<{ items: { action: string }[] }>(
      "GET",
      `/api/v1/audit-events?tokenId=${t.id}`,
    );
    expect(events.body.items.map((e) => e.action)).toEqual(["token.create"]);
    const changed = await srv.admin<AccessToken>("PATCH", path, { body: { description: "e" } });
    expect(changed.body.revision).toBe(t.revision + 1);
  });

  it("says when a regenerated token's previous secret stops working", async () => {
    const t = await create({ name: "prev" });
    expect(t.previousSecretExpiresAt).toBeNull();
    const path = `/api/v1/users/${me.id}/access-tokens/${t.id}`;
    const graced = (
      await srv.admin<IssuedAccessToken>("POST", `${path}/regenerate`, { body: { gracePeriod: "1h" } })
    ).body;
    const until = new Date(clock + 3_600_000).toISOString();
    expect(graced.previousSecretExpiresAt).toBe(until);
    expect((await read(t.id)).previousSecretExpiresAt).toBe(until);
    const listed = await srv.admin<{ items: AccessToken[] }>(
      "GET",
      `/api/v1/users/${me.id}/access-tokens?limit=500`,
    );
    expect(listed.body.items.find((x) => x.id === t.id)?.previousSecretExpiresAt).toBe(until);
    const ended = (await srv.admin<IssuedAccessToken>("POST", `${path}/regenerate`)).body;
    expect(ended.previousSecretExpiresAt).toBeNull();
    expect((await verify({ token: t.token })).body.code).toBe("NOT_FOUND");
  });

  it("rejects bad requests naming the field, and only accepts POST with JSON", async () => {
    const bad = await verify({ token: "", permission: "orders:write", ip: "10.0.0.0/8", cost: -1, extra: 1 });
    expect(bad.status).toBe(422);
    expect(
      (bad.body as unknown as { errors: { field: string }[] }).errors.map((e) => e.field).sort(),
    ).toEqual(["cost", "extra", "ip", "permission", "token"]);
    expect((await srv.anonymous("GET", "/api/v1/verify")).status).toBe(405);
    expect(
      (
        await srv.anonymous("POST", "/api/v1/verify", {
          rawBody: "token=x",
          headers: { "content-type": "text/plain" },
        })
      ).status,
    ).toBe(415);
    expect(
      (
        await srv.anonymous("POST", "/api/v1/verify", {
          rawBody: "{",
          headers: { "content-type": "application/json" },
        })
      ).status,
    ).toBe(400);
    expect((await verify({ token: "x".repeat(70_000) })).status).toBe(413);
  });

  it("counts verifications by code in /metrics", async () => {
    const metrics = await srv.anonymous("GET", "/metrics");
    expect(metrics.text).toMatch(
      /tokenplane_verifications_total\{endpoint="\/api\/v1\/verify",code="VALID"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /tokenplane_verifications_total\{endpoint="\/api\/v1\/verify",code="NOT_FOUND"\} [1-9]/,
    );
  });

  it("records every verify request in the latency histogram: cumulative buckets, +Inf = count = requests", async () => {
    for (let i = 0; i < 5; i++) await verify({ token: "tps_nothing" });
    const text = (await srv.anonymous("GET", "/metrics")).text;
    const series = (metric: string) =>
      [...text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, "gm"))]
        .filter(
          (m) => (m[1] ?? "").includes('route="/api/v1/verify"') && (m[1] ?? "").includes('method="POST"'),
        )
        .map((m) => ({ labels: m[1] ?? "", value: Number(m[2]) }));
    const buckets = series("tokenplane_http_request_duration_seconds_bucket").map((b) => b.value);
    const count = series("tokenplane_http_request_duration_seconds_count")[0]?.value ?? 0;
    const requests = series("tokenplane_http_requests_total").reduce((n, s) => n + s.value, 0);
    expect(buckets.length).toBe(13);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(buckets.at(-1)).toBe(count);
    expect(count).toBeGreaterThanOrEqual(5);
    expect(count).toBe(requests);
    expect(series("tokenplane_http_request_duration_seconds_sum")[0]?.value).toBeGreaterThan(0);
    expect(text).toContain("# TYPE tokenplane_http_request_duration_seconds histogram");
  });
});

describe("credits with two replicas on one PostgreSQL", () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer("postgres");
    b = await startTestServerWith({ ...a.options });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it("spends each credit once across replicas", async () => {
    const me = (await a.admin<User>("GET", "/api/v1/user")).body;
    const t = (
      await a.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: "shared", credits: { remaining: 30 } },
      })
    ).body;
    const clients: Client[] = [client(a.url), client(b.url)];
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        (clients[i % 2] as Client)<VerifyResult>("POST", "/api/v1/verify", { body: { token: t.token } }),
      ),
    );
    expect(results.filter((r) => r.body.code === "VALID")).toHaveLength(30);
    const seen = results.flatMap((r) => (r.body.code === "VALID" ? [r.body.credits?.remaining] : []));
    expect(new Set(seen).size).toBe(30);
  });
});
