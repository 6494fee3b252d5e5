import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { User } from "../../src/api/index.js";
import { RawConnection } from "../support/raw-http.js";
import { startTestServer, type TestServer } from "../support/token-server.js";

/** Phrases of zod's own messages ("Invalid input: expected string, received number"). */
const ZOD_DEFAULT_WORDING =
  /Invalid (input|option|string|UUID)|expected |received |Too (small|big)|Unrecognized/;

describe("errors are problem+json and never 500", () => {
  let srv: TestServer;
  let tokens: string;
  beforeAll(async () => {
    srv = await startTestServer("pglite", { bodyLimitBytes: 4096 });
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    tokens = `/api/v1/users/${me.id}/access-tokens`;
  });
  afterAll(() => srv.close());

  const expectProblem = (
    res: { status: number; headers: Headers; body: Record<string, unknown> },
    status: number,
  ) => {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body).toMatchObject({
      status,
      type: expect.stringMatching(/^https:\/\/tokenplane\.dev\/problems\//),
      title: expect.any(String),
    });
  };

  it("rejects malformed JSON with 400", async () => {
    const res = await srv.admin("POST", tokens, {
      rawBody: '{"name": ',
      headers: { "content-type": "application/json" },
    });
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: "body", message: "is not valid JSON" }]);
  });

  it("rejects JSON that is not an object with 422 naming the body", async () => {
    for (const raw of ["[]", "[1,2]"]) {
      const res = await srv.admin("POST", tokens, {
        rawBody: raw,
        headers: { "content-type": "application/json" },
      });
      expectProblem(res, 422);
      expect((res.body.errors as { field: string }[])[0]?.field).toBe("body");
    }
    const scalar = await srv.admin("POST", tokens, {
      rawBody: '"x"',
      headers: { "content-type": "application/json" },
    });
    expectProblem(scalar, 400);
  });

  it("rejects a body that is too large with 413", async () => {
    const res = await srv.admin("POST", tokens, { body: { name: "x", description: "y".repeat(10_000) } });
    expectProblem(res, 413);
    expect(res.body.detail).toBe("the body may be at most 4096 bytes");
  });

  it("rejects a body that is not JSON with 415", async () => {
    const res = await srv.admin("POST", tokens, {
      rawBody: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expectProblem(res, 415);
  });

  it("treats an empty body as {} and names the missing fields", async () => {
    const res = await srv.admin("POST", tokens);
    expectProblem(res, 422);
    expect(res.body.errors).toEqual([{ field: "name", message: "is required" }]);
  });

  it("words every field error for people, never in zod's default phrasing", async () => {
    const res = await srv.admin("POST", tokens, {
      body: {
        name: "x".repeat(201),
        type: "admin",
        kind: 7,
        permissions: "orders:read",
        credits: { remaining: -1, refill: { amount: 0, interval: "hourly" } },
        rateLimit: { limit: 0 },
        signedRequests: "yes",
        expiresAt: "tomorrow",
        externalId: "",
        allowedIps: [null],
      },
    });
    expectProblem(res, 422);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: "name", message: "must be at most 200 characters" },
        { field: "type", message: "must be one of read-only, full-access, custom" },
        { field: "kind", message: expect.stringMatching(/^must be one of /) },
        { field: "permissions", message: "must be a list" },
        { field: "credits.remaining", message: "must be at least 0" },
        { field: "credits.refill.amount", message: "must be at least 1" },
        { field: "credits.refill.interval", message: "must be one of daily, weekly, monthly" },
        { field: "rateLimit.limit", message: "must be at least 1" },
        { field: "rateLimit.window", message: "is required" },
        { field: "signedRequests", message: "must be true or false" },
        { field: "expiresAt", message: "must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z" },
        { field: "externalId", message: "must not be empty" },
        { field: "allowedIps[0]", message: "must not be null" },
      ]),
    );
    expect(res.body.errors).toHaveLength(13);

    const query = await srv.admin("GET", `${tokens}?limit=0&subscribe=maybe`);
    expectProblem(query, 400);
    expect(query.body.errors).toEqual([
      { field: "limit", message: "must be at least 1" },
      { field: "subscribe", message: "must be true, false, 1 or 0" },
    ]);
    const notNumber = await srv.admin("GET", `${tokens}?limit=abc`);
    expect(notNumber.body.errors).toEqual([{ field: "limit", message: "must be a number" }]);
    const fraction = await srv.admin("GET", `${tokens}?limit=1.5`);
    expect(fraction.body.errors).toEqual([{ field: "limit", message: "must be an integer" }]);
    const tooMany = await srv.admin("GET", `${tokens}?limit=501`);
    expect(tooMany.body.errors).toEqual([{ field: "limit", message: "must be at most 500" }]);
  });

  it("answers a malformed id in the path as the thing it names not existing", async () => {
    const user = await srv.admin("GET", "/api/v1/users/not-a-uuid");
    expectProblem(user, 404);
    expect(user.body.detail).toBe("no such user");
    const missingUser = await srv.admin("GET", "/api/v1/users/00000000-0000-4000-8000-000000000000");
    expect(missingUser.body.detail).toBe("no such user");
    const userOfToken = await srv.admin("GET", "/api/v1/users/nope/access-tokens/also-nope");
    expect(userOfToken.body.detail).toBe("no such user");
    const token = await srv.admin("GET", `${tokens}/not-a-uuid`);
    expectProblem(token, 404);
    expect(token.body.detail).toBe("no such token");
    const resource = await srv.admin("GET", "/api/v1/resources/bad%20name");
    expectProblem(resource, 404);
    expect(resource.body.detail).toBe("no such resource");
  });

  it("answers unknown routes and methods with 404", async () => {
    expectProblem(await srv.admin("GET", "/api/v1/nothing"), 404);
    expectProblem(await srv.admin("PUT", tokens), 404);
  });

  it("quotes a field name that would not show (blank, empty, control characters)", async () => {
    const res = await srv.admin("GET", `${tokens}?%20=1`);
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: '[" "]', message: "is not a known field" }]);
    const body = await srv.admin("POST", tokens, { body: { name: "x", "\t": 1 } });
    expectProblem(body, 422);
    expect(body.body.errors).toEqual([{ field: '["\\t"]', message: "is not a known field" }]);
  });

  it("rejects a bad query with 400 naming the parameter", async () => {
    const res = await srv.admin("GET", `${tokens}?limit=abc&subscribe=maybe&surprise=1`);
    expectProblem(res, 400);
    expect((res.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      "limit",
      "subscribe",
      "surprise",
    ]);
  });

  it("survives hostile values without a 500", async () => {
    const bodies: unknown[] = [
      { name: "x".repeat(300) },
      { name: "\u0000\uffff\ud800" },
      { name: "x", metadata: { nested: { deep: Array.from({ length: 50 }, () => ({ a: 1 })) } } },
      { name: "x", metadata: "not an object" },
      { name: "x", credits: { remaining: 1e30 } },
      { name: "x", credits: { remaining: 1.5 } },
      { name: "x", expiresAt: "9999-12-31T23:59:59Z" },
      { name: "x", expiresAt: "2026-02-30T00:00:00Z" },
      { name: "x", duration: "0s" },
      { name: "x", allowedIps: ["::ffff:10.0.0.1/200", "1.2.3.4/-1", "1.2.3.4/"] },
      { name: "x", allowedDomains: ["*.", "a..b", "x:99999", "x:1:2"] },
      { name: "x", permissions: [null, 1, {}] },
      { name: "x", __proto__: { admin: true }, constructor: { prototype: {} } },
      { name: "x", externalId: "" },
      { name: "x", rateLimit: { limit: 1, window: "0ms" } },
    ];
    for (const body of bodies) {
      const res = await srv.admin("POST", tokens, { body });
      expect(res.status, JSON.stringify(body)).not.toBe(500);
      if (res.status >= 400) expect(res.body.errors ?? res.body.detail, JSON.stringify(body)).toBeDefined();
      for (const e of (res.body.errors ?? []) as { message: string }[])
        expect(e.message, JSON.stringify(body)).not.toMatch(ZOD_DEFAULT_WORDING);
    }
    const paths = [
      "/api/v1/users/%ZZ/access-tokens",
      "/api/v1/users/../../etc/passwd",
      `${tokens}/${"a".repeat(5000)}`,
      "/api/v1/resources/%00",
      "/api/v1/users?name=%00",
      "/api/v1/audit-events?actor=%00&tokenId=%ED%A0%80",
    ];
    for (const path of paths) {
      const res = await srv.admin("GET", path);
      expect(res.status, path).toBeLessThan(500);
    }
  });

  it("refuses JSON nested deeper than 64 levels with 422 instead of overflowing the stack", async () => {
    const deep = (n: number) => `{"name":"x","metadata":{"a":${"[".repeat(n)}${"]".repeat(n)}}}`;
    const res = await srv.admin("POST", tokens, {
      rawBody: deep(1500),
      headers: { "content-type": "application/json" },
    });
    expectProblem(res, 422);
    expect((res.body.errors as { field: string; message: string }[])[0]).toEqual({
      field: expect.stringMatching(/^metadata\.a(\[0\])+$/),
      message: "is nested more than 64 levels deep",
    });
    const fine = await srv.admin("POST", tokens, {
      rawBody: deep(20),
      headers: { "content-type": "application/json" },
    });
    expect(fine.status).toBe(201);
  });

  it("answers a forged cursor beyond PostgreSQL's bigint with an empty page, not a 500", async () => {
    for (const [path, key] of [
      [tokens, "s"],
      ["/api/v1/users", "s"],
      ["/api/v1/audit-events", "i"],
    ] as const) {
      const cursor = Buffer.from(JSON.stringify({ [key]: "9999999999999999999" })).toString("base64url");
      const res = await srv.admin("GET", `${path}?cursor=${cursor}`);
      expect(res.status, path).toBe(200);
      expect(res.body).toEqual({ items: [], nextCursor: null });
    }
  });

  it("does not echo the path of an unknown route (it may hold a credential)", async () => {
    const res = await srv.admin("GET", `/api/v1/nothing/${srv.adminToken}`);
    expectProblem(res, 404);
    expect(res.text).not.toContain(srv.adminToken);
  });

  it("answers what Node's HTTP parser refuses with problem+json naming the part", async () => {
    const conn = new RawConnection(srv.server.port);
    const send = async (raw: string) => {
      const { responses } = await conn.exchange(Buffer.from(raw), { fresh: true });
      const [r] = responses;
      return { status: r?.status, type: r?.headers["content-type"], body: JSON.parse(r?.text ?? "{}") };
    };
    const garbled = await send("GET /api/v1/user HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n");
    expect(garbled).toMatchObject({
      status: 400,
      type: "application/problem+json",
      body: { title: "Bad Request", errors: [{ field: "headers" }] },
    });
    const huge = await send(`GET /api/v1/user HTTP/1.1\r\nHost: x\r\nX-Big: ${"v".repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatchObject({ status: 431, type: "application/problem+json" });
    const expectation = await send("GET /api/v1/user HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n");
    expect(expectation).toMatchObject({ status: 417, body: { errors: [{ field: "Expect" }] } });
    const hostless = await send("GET /healthz HTTP/1.1\r\n\r\n");
    expect(hostless).toMatchObject({
      status: 400,
      body: { errors: [{ field: "Host", message: "is required" }] },
    });
    const badPath = await srv.admin("GET", "/api/v1/users/%ZZ");
    expectProblem(badPath, 400);
    expect(badPath.body.errors).toEqual([{ field: "path", message: "is not valid percent-encoding" }]);
    conn.close();
  });

  it("a zero-second duration is an immediately expired token, so it is refused", async () => {
    const res = await srv.admin("POST", tokens, { body: { name: "x", duration: "0s" } });
    expectProblem(res, 422);
    expect(res.body.errors).toEqual([{ field: "duration", message: "must be at least 1s" }]);
  });

  it("echoes a sane X-Request-Id and makes one up otherwise", async () => {
    const given = await srv.admin("GET", "/api/v1/user", { headers: { "x-request-id": "abc-123" } });
    expect(given.headers.get("x-request-id")).toBe("abc-123");
    const hostile = await srv.admin("GET", "/api/v1/user", {
      headers: { "x-request-id": "a b\tc".repeat(100) },
    });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
