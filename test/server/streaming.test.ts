import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User } from "../../src/api/index.js";
import { createUserWithToken } from "../support/fixtures.js";
import { client } from "../support/http.js";
import {
  STORE_KINDS,
  startTestServer,
  startTestServerWith,
  type TestServer,
} from "../support/token-server.js";
import { isType, openWatch, type WatchStream } from "../support/watch.js";

/** The server ends the stream within a bound (it would otherwise stay open for good). */
async function endsWithin(watch: WatchStream, after: string, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the stream stayed open after ${after}`)), timeoutMs);
  });
  try {
    await Promise.race([watch.ended, late]);
  } finally {
    clearTimeout(timer);
    watch.close();
  }
}

describe.each(STORE_KINDS)("subscribe=true on %s", (kind) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(kind);
  });
  afterAll(() => srv.close());

  it("streams the current state, then every change, with heartbeats", async () => {
    const { user, token, as } = await createUserWithToken(srv, `watcher-${kind}`);
    const base = `/api/v1/users/${user.id}/access-tokens`;
    const existing = (await as<IssuedAccessToken>("POST", base, { body: { name: "before" } })).body;

    const watch = await openWatch(`${srv.url}${base}?subscribe=true`, token.token);
    expect(watch.response.status).toBe(200);
    expect(watch.response.headers.get("content-type")).toBe("application/x-ndjson");
    await watch.next(isType("ADDED", `watcher-${kind}-token`));
    await watch.next(isType("ADDED", "before"));

    const made = (await as<IssuedAccessToken>("POST", base, { body: { name: "during" } })).body;
    const added = await watch.next(isType("ADDED", "during"));
    expect(added.object).toMatchObject({ id: made.id, revision: 1 });
    expect(JSON.stringify(added)).not.toContain(made.token);

    await as("PATCH", `${base}/${existing.id}`, { body: { description: "changed" } });
    const modified = await watch.next(isType("MODIFIED", "before"));
    expect(modified.object).toMatchObject({ description: "changed", revision: 2 });

    await as("DELETE", `${base}/${made.id}`);
    const deleted = await watch.next(isType("DELETED", "during"));
    expect((deleted.object as { id: string }).id).toBe(made.id);

    await watch.next(isType("HEARTBEAT"));
    watch.close();
  });

  it("streams a use of a token (lastUsedAt) as MODIFIED at the same revision", async () => {
    const { user, token, as } = await createUserWithToken(srv, `usage-${kind}`);
    const base = `/api/v1/users/${user.id}/access-tokens`;
    const used = (await as<IssuedAccessToken>("POST", base, { body: { name: "used-elsewhere" } })).body;
    const watch = await openWatch(`${srv.url}${base}?subscribe=true`, token.token);
    const added = await watch.next(isType("ADDED", "used-elsewhere"));
    expect(added.object).toMatchObject({ lastUsedAt: null, revision: 1 });

    const verified = await client(srv.url)("POST", "/api/v1/verify", { body: { token: used.token } });
    expect(verified.status).toBe(200);
    const modified = await watch.next(isType("MODIFIED", "used-elsewhere"));
    expect(modified.object).toMatchObject({ id: used.id, revision: 1 });
    expect(typeof (modified.object as { lastUsedAt: unknown }).lastUsedAt).toBe("string");
    watch.close();
  });

  it("streams a single token", async () => {
    const { user, token, as } = await createUserWithToken(srv, `single-${kind}`);
    const base = `/api/v1/users/${user.id}/access-tokens`;
    const other = (await as<IssuedAccessToken>("POST", base, { body: { name: "other" } })).body;
    const watch = await openWatch(`${srv.url}${base}/${token.id}?subscribe=true`, token.token);
    await watch.next(isType("ADDED", `single-${kind}-token`));
    await as("PATCH", `${base}/${other.id}`, { body: { description: "not watched" } });
    await as("PATCH", `${base}/${token.id}`, { body: { description: "watched" } });
    const modified = await watch.next(isType("MODIFIED"));
    expect(modified.object).toMatchObject({ id: token.id, description: "watched" });
    expect(watch.events.filter((e) => (e.object as { id?: string } | undefined)?.id === other.id)).toEqual(
      [],
    );
    watch.close();
  });

  it("404s a subscription to a token that does not exist", async () => {
    const { user, token } = await createUserWithToken(srv, `ghost-${kind}`);
    const res = await client(srv.url, token.token)(
      "GET",
      `/api/v1/users/${user.id}/access-tokens/00000000-0000-4000-8000-000000000000?subscribe=true`,
    );
    expect(res.status).toBe(404);
  });
});

describe.each(STORE_KINDS)("subscribe=true re-checking its caller on %s", (kind) => {
  // Heartbeats far apart: the stream must end on the change itself (or the expiry), not on
  // the next heartbeat's check.
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(kind, { heartbeatMs: 600_000 });
  });
  afterAll(() => srv.close());

  it("ends a stream once the token that opened it is revoked, expires or loses the permission", async () => {
    const { user, as } = await createUserWithToken(srv, `closing-${kind}`);
    const base = `/api/v1/users/${user.id}/access-tokens`;
    const watching = async (name: string, extra: Record<string, unknown> = {}) => {
      const made = (
        await as<IssuedAccessToken>("POST", base, { body: { name, type: "full-access", ...extra } })
      ).body;
      const watch = await openWatch(`${srv.url}${base}?subscribe=true`, made.token);
      await watch.next(isType("ADDED", name));
      return { made, watch };
    };

    const revoked = await watching("revoked");
    await as("DELETE", `${base}/${revoked.made.id}`);
    await endsWithin(revoked.watch, "revocation");
    expect((await client(srv.url, revoked.made.token)("GET", `${base}?subscribe=true`)).status).toBe(401);

    const narrowed = await watching("narrowed");
    await as("PATCH", `${base}/${narrowed.made.id}`, {
      body: { type: "custom", permissions: ["tokens:create"] },
    });
    await endsWithin(narrowed.watch, "the permission to go");

    const brief = await watching("brief", { expiresAt: new Date(Date.now() + 1500).toISOString() });
    await endsWithin(brief.watch, "expiry");

    // An admin watching another user's tokens: its own revocation makes no event in that stream.
    const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
    const adminToken = (
      await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
        body: { name: `watcher-admin-${kind}`, type: "full-access" },
      })
    ).body;
    const foreign = await openWatch(`${srv.url}${base}?subscribe=true`, adminToken.token);
    await foreign.next(isType("ADDED", `closing-${kind}-token`));
    await srv.admin("DELETE", `/api/v1/users/${me.id}/access-tokens/${adminToken.id}`);
    await endsWithin(foreign, "the admin token's revocation");
  });
});

describe("subscribe=true across replicas on one PostgreSQL", () => {
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

  it("delivers a change made on one replica to a stream on the other", async () => {
    const { user, token } = await createUserWithToken(a, "cross");
    const base = `/api/v1/users/${user.id}/access-tokens`;
    const watch = await openWatch(`${a.url}${base}?subscribe=true`, token.token);
    await watch.next(isType("ADDED", "cross-token"));
    const onB = client(b.url, token.token);
    const made = (await onB<IssuedAccessToken>("POST", base, { body: { name: "from-b" } })).body;
    await watch.next(isType("ADDED", "from-b"));
    await onB("DELETE", `${base}/${made.id}`);
    await watch.next(isType("DELETED", "from-b"));
    watch.close();
  });

  it("ends a stream on one replica when its token is revoked on the other", async () => {
    const { user, as } = await createUserWithToken(a, "stream-cross");
    const base = `/api/v1/users/${user.id}/access-tokens`;
    const t = (await as<IssuedAccessToken>("POST", base, { body: { name: "streamer", type: "full-access" } }))
      .body;
    const watch = await openWatch(`${a.url}${base}?subscribe=true`, t.token);
    await watch.next(isType("ADDED", "streamer"));
    await client(b.url, t.token)("DELETE", `${base}/${t.id}`);
    await endsWithin(watch, "revocation on the other replica");
  });

  it("revocation on one replica fails the token on the other within a second", async () => {
    const { user, as } = await createUserWithToken(a, "revoke-cross");
    const base = `/api/v1/users/${user.id}/access-tokens`;
    const t = (await as<IssuedAccessToken>("POST", base, { body: { name: "victim" } })).body;
    const onB = client(b.url, t.token);
    expect((await onB("GET", "/api/v1/access-tokens/self")).status).toBe(200); // now cached on B
    await as("DELETE", `${base}/${t.id}`);
    const { waitFor } = await import("../support/wait.js");
    await waitFor(async () => (await onB("GET", "/api/v1/access-tokens/self")).status === 401, {
      timeoutMs: 1000,
      what: "replica B to reject the revoked token",
    });
  });
});
