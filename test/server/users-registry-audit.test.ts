import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent, IssuedAccessToken, Page, Resource, User } from "../../src/api/index.js";
import { createUserWithToken } from "../support/fixtures.js";
import { client } from "../support/http.js";
import { STORE_KINDS, startTestServer, type TestServer } from "../support/token-server.js";

describe.each(STORE_KINDS)("users, resources, settings and audit on %s", (kind) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(kind);
  });
  afterAll(() => srv.close());

  it("creates, finds, lists and deletes users", async () => {
    const me = await srv.admin<User>("GET", "/api/v1/user");
    expect(me.body).toMatchObject({ name: "admin", admin: true });

    const created = await srv.admin<User>("POST", "/api/v1/users", { body: { name: "carol" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "carol", admin: false });
    const dup = await srv.admin("POST", "/api/v1/users", { body: { name: "carol" } });
    expect(dup.status).toBe(409);
    expect(dup.body.existingId).toBe(created.body.id);

    const byName = await srv.admin<Page<User>>("GET", "/api/v1/users?name=carol");
    expect(byName.body.items.map((u) => u.id)).toEqual([created.body.id]);
    const got = await srv.admin<User>("GET", `/api/v1/users/${created.body.id}`);
    expect(got.body.name).toBe("carol");

    for (const name of ["u1", "u2", "u3"]) await srv.admin("POST", "/api/v1/users", { body: { name } });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const page: { body: Page<User> } = await srv.admin<Page<User>>("GET", `/api/v1/users${q}`);
      names.push(...page.body.items.map((u) => u.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(names).toEqual(["admin", "carol", "u1", "u2", "u3"]);

    const bad = await srv.admin("POST", "/api/v1/users", { body: { name: "  ", admin: "yes" } });
    expect(bad.status).toBe(422);
    expect((bad.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(["admin", "name"]);
  });

  it("deleting a user revokes all their tokens at once", async () => {
    const { user, token } = await createUserWithToken(srv, `leaver-${kind}`);
    const as = client(srv.url, token.token);
    expect((await as("GET", "/api/v1/access-tokens/self")).status).toBe(200);
    expect((await srv.admin("DELETE", `/api/v1/users/${user.id}`)).status).toBe(204);
    expect((await as("GET", "/api/v1/access-tokens/self")).status).toBe(401);
    expect((await srv.admin("GET", `/api/v1/users/${user.id}`)).status).toBe(404);
    expect((await srv.admin("DELETE", `/api/v1/users/${user.id}`)).status).toBe(404);
  });

  it("does not let an admin delete the user they are authenticated as", async () => {
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    const res = await srv.admin("DELETE", `/api/v1/users/${me.id}`);
    expect(res.status).toBe(409);
  });

  it("registers resources with routes and refuses to remove used or built-in ones", async () => {
    const list = await srv.admin<{ items: Resource[] }>("GET", "/api/v1/resources");
    expect(
      list.body.items
        .filter((r) => r.builtIn)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["audit", "resources", "settings", "tokens", "users"]);
    const made = await srv.admin<Resource>("POST", "/api/v1/resources", {
      body: {
        name: "invoices",
        description: "billing",
        routes: [{ pathPrefix: "/invoices", methods: ["GET", "POST"] }],
      },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      name: "invoices",
      builtIn: false,
      routes: [{ pathPrefix: "/invoices", methods: ["GET", "POST"] }],
    });
    expect((await srv.admin("POST", "/api/v1/resources", { body: { name: "invoices" } })).status).toBe(409);
    expect((await srv.admin<Resource>("GET", "/api/v1/resources/invoices")).body.description).toBe("billing");

    const bad = await srv.admin("POST", "/api/v1/resources", {
      body: { name: "bad name", routes: [{ pathPrefix: "no-slash", methods: ["FETCH"] }] },
    });
    expect(bad.status).toBe(422);
    expect((bad.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      "name",
      "routes[0].methods[0]",
      "routes[0].pathPrefix",
    ]);

    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    const t = await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
      body: { name: "inv", type: "custom", permissions: ["invoices:read"] },
    });
    const inUse = await srv.admin("DELETE", "/api/v1/resources/invoices");
    expect(inUse.status).toBe(409);
    expect(inUse.body.detail).toBe(
      `resource "invoices" is used by 1 token(s): ${t.body.id}; change or revoke them first`,
    );
    expect(inUse.body.usedBy).toEqual({ count: 1, tokenIds: [t.body.id] });
    expect((await srv.admin("DELETE", "/api/v1/resources/tokens")).status).toBe(409);
    await srv.admin("DELETE", `/api/v1/users/${me.id}/access-tokens/${t.body.id}`);
    expect((await srv.admin("DELETE", "/api/v1/resources/invoices")).status).toBe(204);
    expect((await srv.admin("GET", "/api/v1/resources/invoices")).status).toBe(404);
    expect((await srv.admin("DELETE", "/api/v1/resources/invoices")).status).toBe(404);
  });

  it("names at most 20 of the tokens that keep a resource from being deleted, and counts them all", async () => {
    await srv.admin("POST", "/api/v1/resources", { body: { name: "ledger" } });
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    const ids: string[] = [];
    for (let i = 0; i < 22; i++) {
      const t = await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: `ledger-${i}`, type: "custom", permissions: ["ledger:read", "ledger:update"] },
      });
      ids.push(t.body.id);
    }
    const refused = await srv.admin<{ detail: string; usedBy: { count: number; tokenIds: string[] } }>(
      "DELETE",
      "/api/v1/resources/ledger",
    );
    expect(refused.status).toBe(409);
    expect(refused.body.usedBy.count).toBe(22);
    expect(refused.body.usedBy.tokenIds).toHaveLength(20);
    expect(ids).toEqual(expect.arrayContaining(refused.body.usedBy.tokenIds));
    expect(refused.body.detail).toBe(
      `resource "ledger" is used by 22 token(s): ${refused.body.usedBy.tokenIds.join(", ")} and 2 more; ` +
        "change or revoke them first",
    );
    for (const id of ids) await srv.admin("DELETE", `/api/v1/users/${me.id}/access-tokens/${id}`);
    expect((await srv.admin("DELETE", "/api/v1/resources/ledger")).status).toBe(204);
  });

  it("changes a resource's routes and description, audited; an empty or unchanged PATCH writes nothing", async () => {
    await srv.admin("POST", "/api/v1/resources", {
      body: { name: "shipments", description: "old", routes: [{ pathPrefix: "/ship", methods: ["GET"] }] },
    });
    const auditOf = async () =>
      (await srv.admin<Page<AuditEvent>>("GET", "/api/v1/audit-events?limit=500")).body.items.filter(
        (e) => e.target.type === "resource" && e.target.id === "shipments",
      );
    const changed = await srv.admin<Resource>("PATCH", "/api/v1/resources/shipments", {
      body: { routes: [{ pathPrefix: "/shipments", methods: ["GET", "POST"] }, { pathPrefix: "/track" }] },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      name: "shipments",
      description: "old",
      routes: [{ pathPrefix: "/shipments", methods: ["GET", "POST"] }, { pathPrefix: "/track" }],
    });
    expect((await srv.admin<Resource>("GET", "/api/v1/resources/shipments")).body.routes).toEqual(
      changed.body.routes,
    );
    const described = await srv.admin<Resource>("PATCH", "/api/v1/resources/shipments", {
      body: { description: "parcels" },
    });
    expect(described.body).toMatchObject({ description: "parcels", routes: changed.body.routes });
    const events = await auditOf();
    expect(events.map((e) => [e.action, e.details])).toEqual([
      ["resource.update", { fields: ["description"] }],
      ["resource.update", { fields: ["routes"] }],
      ["resource.create", { routes: 1 }],
    ]);

    for (const body of [{}, { description: "parcels" }, { routes: changed.body.routes }]) {
      const same = await srv.admin<Resource>("PATCH", "/api/v1/resources/shipments", { body });
      expect(same.status).toBe(200);
      expect(same.body).toEqual(described.body);
    }
    expect(await auditOf()).toHaveLength(3);

    const missing = await srv.admin("PATCH", "/api/v1/resources/nothing-here", {
      body: { description: "x" },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe("no such resource");
    const builtIn = await srv.admin("PATCH", "/api/v1/resources/tokens", { body: { description: "mine" } });
    expect(builtIn.status).toBe(409);
    expect(builtIn.body.detail).toBe('resource "tokens" is built in and cannot be changed');
    const bad = await srv.admin("PATCH", "/api/v1/resources/shipments", {
      body: { name: "renamed", routes: [{ pathPrefix: "relative" }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([
      { field: "routes[0].pathPrefix", message: "must be a path starting with / (no query or fragment)" },
      { field: "name", message: "is not a known field" },
    ]);
    const { as } = await createUserWithToken(srv, `resource-editor-${kind}`);
    expect((await as("PATCH", "/api/v1/resources/shipments", { body: { description: "x" } })).status).toBe(
      403,
    );
  });

  it("sets default permissions for anonymous requests, checked against the registry", async () => {
    expect((await srv.admin("GET", "/api/v1/settings/default-permissions")).body).toEqual({
      permissions: [],
    });
    await srv.admin("POST", "/api/v1/resources", { body: { name: "articles" } });
    const set = await srv.admin("PUT", "/api/v1/settings/default-permissions", {
      body: { permissions: ["articles:read"] },
    });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ permissions: ["articles:read"] });
    expect((await srv.admin("GET", "/api/v1/settings/default-permissions")).body).toEqual({
      permissions: ["articles:read"],
    });

    const unknown = await srv.admin("PUT", "/api/v1/settings/default-permissions", {
      body: { permissions: ["ghosts:read"] },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([
      {
        field: "permissions[0]",
        message: 'unknown resource "ghosts"; register it first (POST /api/v1/resources)',
      },
    ]);
    const mgmt = await srv.admin("PUT", "/api/v1/settings/default-permissions", {
      body: { permissions: ["tokens:create"] },
    });
    expect(mgmt.status).toBe(422);
    expect((await srv.admin("DELETE", "/api/v1/resources/articles")).status).toBe(409);
    await srv.admin("PUT", "/api/v1/settings/default-permissions", { body: { permissions: [] } });
    expect((await srv.admin("DELETE", "/api/v1/resources/articles")).status).toBe(204);
  });

  it("audits every management action with actor and target, newest first, filterable", async () => {
    const { user, token, as } = await createUserWithToken(srv, `audited-${kind}`);
    const t = (
      await as<IssuedAccessToken>("POST", `/api/v1/users/${user.id}/access-tokens`, { body: { name: "a1" } })
    ).body;
    await as("PATCH", `/api/v1/users/${user.id}/access-tokens/${t.id}`, { body: { description: "d" } });
    const regen = (
      await as<IssuedAccessToken>("POST", `/api/v1/users/${user.id}/access-tokens/${t.id}/regenerate`)
    ).body;
    await as("DELETE", `/api/v1/users/${user.id}/access-tokens/${t.id}`);

    const events = await srv.admin<Page<AuditEvent>>("GET", `/api/v1/audit-events?tokenId=${t.id}`);
    expect(events.status).toBe(200);
    expect(events.body.items.map((e) => e.action)).toEqual([
      "token.revoke",
      "token.regenerate",
      "token.update",
      "token.create",
    ]);
    for (const e of events.body.items) {
      expect(e.actor).toEqual({ userId: user.id, tokenId: token.id, displayPrefix: token.displayPrefix });
      expect(e.target).toEqual({ type: "token", id: t.id, userId: user.id });
    }
    expect(events.body.items.find((e) => e.action === "token.update")?.details).toEqual({
      fields: ["description"],
    });
    for (const secret of [t.token, regen.token, token.token]) expect(events.text).not.toContain(secret);

    const byActor = await srv.admin<Page<AuditEvent>>("GET", `/api/v1/audit-events?actor=${user.id}&limit=2`);
    expect(byActor.body.items).toHaveLength(2);
    expect(byActor.body.nextCursor).not.toBeNull();
    const next = await srv.admin<Page<AuditEvent>>(
      "GET",
      `/api/v1/audit-events?actor=${user.id}&limit=2&cursor=${encodeURIComponent(byActor.body.nextCursor as string)}`,
    );
    expect(next.body.items.map((e) => e.action)).toEqual(["token.update", "token.create"]);
    const adminCreated = await srv.admin<Page<AuditEvent>>("GET", `/api/v1/audit-events?tokenId=${token.id}`);
    expect(adminCreated.body.items.map((e) => e.action)).toContain("token.create");
  });

  it("lists audit events newest first by sequence, also across a change in the id's digit count", async () => {
    const { user, as } = await createUserWithToken(srv, `ordered-${kind}`);
    const t = (
      await as<IssuedAccessToken>("POST", `/api/v1/users/${user.id}/access-tokens`, { body: { name: "o1" } })
    ).body;
    const ids = async () =>
      (
        await srv.admin<Page<AuditEvent>>("GET", `/api/v1/audit-events?tokenId=${t.id}&limit=500`)
      ).body.items.map((e) => e.id);
    // Text order puts "98" after "102": edit until the ids need one more digit (bounded).
    let seen = await ids();
    for (let i = 0; i < 1000 && (seen.at(0) ?? "").length === (seen.at(-1) ?? "").length; i++) {
      await as("PATCH", `/api/v1/users/${user.id}/access-tokens/${t.id}`, { body: { description: `d${i}` } });
      if (i % 10 === 9) seen = await ids();
    }
    seen = await ids();
    expect((seen.at(0) ?? "").length).toBeGreaterThan((seen.at(-1) ?? "").length);
    const numeric = seen.map((id) => BigInt(id));
    expect(numeric).toEqual([...numeric].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
  });
});
