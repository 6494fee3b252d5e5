import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User } from "../../src/api/index.js";
import { client } from "../support/http.js";
import { startTestServer, type TestServer } from "../support/token-server.js";
import { isType, openWatch, showsRevision } from "../support/watch.js";

describe("plain tokens are shown once and appear nowhere else", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer("postgres");
  });
  afterAll(() => srv.close());

  it("keeps tokens, keys and the admin token out of responses, logs, audit records and every table", async () => {
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    const base = `/api/v1/users/${me.id}/access-tokens`;
    const watch = await openWatch(`${srv.url}${base}?subscribe=true`, srv.adminToken);
    await watch.next(isType("ADDED", "admin"));

    const secrets: string[] = [srv.adminToken];
    const created = (
      await srv.admin<IssuedAccessToken>("POST", base, {
        body: { name: "s1", type: "full-access", signedRequests: true },
      })
    ).body;
    secrets.push(created.token, created.privateKey as string);
    const regenerated = (
      await srv.admin<IssuedAccessToken>("POST", `${base}/${created.id}/regenerate`, {
        body: { gracePeriod: "1h" },
      })
    ).body;
    secrets.push(regenerated.token);
    await watch.next(showsRevision("s1", 2));

    // Use the tokens in every way, including ways that fail and ways that are wrong.
    const as = client(srv.url, regenerated.token);
    await as("GET", "/api/v1/access-tokens/self");
    await as("GET", `${base}?limit=5`);
    await as("PATCH", `${base}/${created.id}`, { body: { description: "used" } });
    await srv.anonymous("GET", `/api/v1/user?token=${created.token}`);
    await srv.anonymous("GET", `/api/v1/nothing/${created.token}`);
    // Mistyped, truncated and percent-encoded tokens, and the admin token, in URLs.
    await srv.anonymous("GET", `/api/v1/user?token=${created.token.slice(0, 45)}`);
    await srv.anonymous("GET", `/api/v1/user?token=${created.token.slice(0, 30)}x${created.token.slice(31)}`);
    await srv.anonymous(
      "GET",
      `/api/v1/user?t=${encodeURIComponent(regenerated.token).replace(/_/g, "%5F")}`,
    );
    await srv.anonymous(
      "GET",
      `/api/v1/nothing/${srv.adminToken}?again=${encodeURIComponent(srv.adminToken)}`,
    );
    await srv.anonymous("GET", "/api/v1/user", { headers: { authorization: `Bearer ${created.token}x` } });
    await srv.anonymous("POST", base, {
      headers: { "x-api-key": regenerated.token, "content-type": "application/json" },
      rawBody: "{bad",
    });

    const later = [
      await srv.admin("GET", base),
      await srv.admin("GET", `${base}/${created.id}`),
      await as("GET", "/api/v1/access-tokens/self"),
      await srv.admin("GET", "/api/v1/audit-events?limit=500"),
      await srv.admin("GET", "/openapi.json"),
      await srv.anonymous("GET", "/metrics"),
    ];
    watch.close();
    const streamed = JSON.stringify(watch.events);

    const db = new pg.Client({ connectionString: srv.options.databaseUrl });
    await db.connect();
    const tables = (
      await db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      )
    ).rows.map((r) => r.table_name);
    const rows: string[] = [];
    for (const table of tables) {
      rows.push(
        ...(await db.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`)).rows.map((r) => r.row),
      );
    }
    await db.end();
    expect(tables).toEqual(expect.arrayContaining(["tokens", "token_secrets", "audit_events", "users"]));

    for (const secret of secrets) {
      const probe = secret.slice(10, 40);
      for (const res of later) expect(res.text).not.toContain(probe);
      expect(streamed).not.toContain(probe);
      expect(srv.logs.text).not.toContain(probe);
      for (const row of rows) expect(row).not.toContain(probe);
    }
    // The logs still say what happened, with the display prefix at most.
    expect(srv.logs.text).toContain(`${created.token.slice(0, 8)}[REDACTED]`);
    expect(srv.logs.lines.length).toBeGreaterThan(10);
  });
});
