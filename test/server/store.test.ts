import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../src/server/domain/audit-entry.js";
import type { NewToken } from "../../src/server/domain/store.js";
import { StoreError } from "../../src/server/domain/store-faults.js";
import type { Change } from "../../src/server/domain/model.js";
import { createLogger } from "../../src/server/logger.js";
import { MIGRATIONS } from "../../src/server/store/migrations.js";
import { openStore, type SqlStore } from "../../src/server/store/store.js";
import { createTestDatabase } from "../support/postgres.js";
import { LogCapture, STORE_KINDS, type StoreKind } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

const log = createLogger({ destination: new LogCapture() });
const audit = (action: string) => ({ actor: SYSTEM_ACTOR, action, targetType: "token", targetId: null });
const secret = (n: number) => ({ hash: Buffer.alloc(32, n), pepperVersion: 1, publicKey: null });

function newToken(userId: string, over: Partial<NewToken> = {}): NewToken {
  return {
    id: randomUUID(),
    userId,
    kind: "secret",
    signedRequests: false,
    displayPrefix: "tps_abcd",
    refilledAt: null,
    name: "t",
    description: "",
    type: "read-only",
    permissions: [],
    duration: "unlimited",
    expiresAt: null,
    allowedDomains: [],
    allowedIps: [],
    credits: null,
    rateLimit: null,
    metadata: {},
    externalId: null,
    ...over,
  };
}

describe.each(STORE_KINDS)("store on %s", (kind: StoreKind) => {
  let store: SqlStore;
  let location: Parameters<typeof openStore>[0];
  let userId: string;
  let n = 0;
  const nextSecret = () => secret(++n);

  beforeAll(async () => {
    if (kind === "postgres") {
      const db = await createTestDatabase();
      afterAll(db.drop);
      location = { kind: "postgres", url: db.url };
    } else {
      location = { kind: "pglite" };
    }
    store = await openStore(location, log);
    userId = randomUUID();
    await store.users.create({ id: userId, name: "owner", admin: false }, audit("user.create"));
  });
  afterAll(() => store.close());

  it("migrates idempotently", async () => {
    if (kind === "postgres") {
      const again = await openStore(location, log);
      const [row] = await again.db.query<{ n: number }>("SELECT count(*)::int AS n FROM schema_migrations");
      expect(row?.n).toBe(MIGRATIONS.length);
      await again.close();
    }
    const [resources] = await store.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM resources WHERE built_in",
    );
    expect(resources?.n).toBe(5);
  });

  it("creates, finds by secret and external id, and rejects a duplicate external id", async () => {
    const s = nextSecret();
    const t = await store.tokens.create(
      newToken(userId, { externalId: "e1", metadata: { a: 1 } }),
      s,
      audit("token.create"),
    );
    expect(t.revision).toBe(1);
    expect(t.metadata).toEqual({ a: 1 });
    const found = await store.tokens.findBySecretHash(s.hash);
    expect(found?.token.id).toBe(t.id);
    expect(found?.secret.pepperVersion).toBe(1);
    expect((await store.tokens.findByExternalId(userId, "e1"))?.id).toBe(t.id);
    const dup = await store.tokens
      .create(newToken(userId, { externalId: "e1" }), nextSecret(), audit("token.create"))
      .catch((e: unknown) => e);
    // The store says what happened; the sentence is the domain's.
    expect(dup).toBeInstanceOf(StoreError);
    expect((dup as StoreError).fault).toEqual({ kind: "external-id-taken", existingId: t.id });
    expect((dup as StoreError).code).toBe("CONFLICT");
    expect((dup as StoreError).extra.existingId).toBe(t.id);
  });

  it("never loses a concurrent update (read-modify-write under a row lock)", async () => {
    const t = await store.tokens.create(newToken(userId), nextSecret(), audit("token.create"));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.tokens.update(
          t.id,
          (current) => ({ ...current, credits: null, metadata: { ...current.metadata, [`k${i}`]: i } }),
          audit("token.update"),
        ),
      ),
    );
    const final = await store.tokens.get(t.id);
    expect(Object.keys(final?.metadata ?? {}).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `k${i}`).sort(),
    );
    expect(final?.revision).toBe(11);
  });

  it("rolls back an update whose change function throws", async () => {
    const t = await store.tokens.create(
      newToken(userId, { name: "keep" }),
      nextSecret(),
      audit("token.create"),
    );
    await expect(
      store.tokens.update(
        t.id,
        () => {
          throw new Error("abort");
        },
        audit("token.update"),
      ),
    ).rejects.toThrow("abort");
    expect((await store.tokens.get(t.id))?.name).toBe("keep");
    const events = await store.db.query(
      "SELECT 1 FROM audit_events WHERE target_id = $1 AND action = 'token.update'",
      [t.id],
    );
    expect(events).toEqual([]);
  });

  it("replaces a secret with and without a grace period", async () => {
    const first = nextSecret();
    const t = await store.tokens.create(newToken(userId), first, audit("token.create"));
    const second = nextSecret();
    const grace = new Date(Date.now() + 3_600_000);
    await store.tokens.replaceSecret(
      t.id,
      second,
      { kind: "secret", signedRequests: false, displayPrefix: "tps_new1" },
      grace,
      audit("token.regenerate"),
    );
    expect((await store.tokens.findBySecretHash(first.hash))?.secret.expiresAt?.getTime()).toBe(
      grace.getTime(),
    );
    expect((await store.tokens.findBySecretHash(second.hash))?.secret.expiresAt).toBeNull();
    const third = nextSecret();
    const after = await store.tokens.replaceSecret(
      t.id,
      third,
      { kind: "publishable", signedRequests: false, displayPrefix: "tpp_x" },
      null,
      audit("token.regenerate"),
    );
    expect(after).toMatchObject({ kind: "publishable", displayPrefix: "tpp_x", revision: 3 });
    expect(await store.tokens.findBySecretHash(first.hash)).toBeNull();
    expect(await store.tokens.findBySecretHash(second.hash)).toBeNull();
    expect((await store.tokens.findBySecretHash(third.hash))?.token.id).toBe(t.id);
  });

  it("announces each committed change to subscribers at once, in order", async () => {
    const seen: Change[] = [];
    const stop = store.onChange((c) => seen.push(c));
    const t = await store.tokens.create(newToken(userId), nextSecret(), audit("token.create"));
    expect(seen.at(-1)).toEqual({ entity: "token", op: "upsert", id: t.id, userId, revision: 1 });
    await store.tokens.update(t.id, (c) => ({ ...c, credits: null, name: "x" }), audit("token.update"));
    expect(seen.at(-1)).toMatchObject({ op: "upsert", revision: 2 });
    await store.tokens.delete(t.id, audit("token.revoke"));
    expect(seen.at(-1)).toMatchObject({ op: "delete", id: t.id });
    stop();
  });

  it("deletes a user with all their tokens and announces each token", async () => {
    const id = randomUUID();
    await store.users.create({ id, name: `leaver-${kind}`, admin: false }, audit("user.create"));
    const s = nextSecret();
    const t = await store.tokens.create(newToken(id), s, audit("token.create"));
    const seen: Change[] = [];
    const stop = store.onChange((c) => seen.push(c));
    expect(await store.users.delete(id, audit("user.delete"))).toBe(true);
    stop();
    expect(await store.tokens.get(t.id)).toBeNull();
    expect(await store.tokens.findBySecretHash(s.hash)).toBeNull();
    expect(seen).toContainEqual({ entity: "token", op: "delete", id: t.id, userId: id, revision: 1 });
  });

  it("refuses permissions on unregistered resources and resource deletes while in use", async () => {
    const bad = await store.tokens
      .create(
        newToken(userId, { type: "custom", permissions: ["*:read", "ghost:read"] }),
        nextSecret(),
        audit("token.create"),
      )
      .catch((e: unknown) => e);
    expect((bad as StoreError).fault).toEqual({
      kind: "unregistered-resources",
      entries: [{ index: 1, resource: "ghost" }],
    });
    expect((bad as StoreError).extra.errors).toEqual([
      {
        field: "permissions[1]",
        message: 'unknown resource "ghost"; register it first (POST /api/v1/resources)',
      },
    ]);
    await store.registry.create({ name: "orders", description: "", routes: [] }, audit("resource.create"));
    const t = await store.tokens.create(
      newToken(userId, { type: "custom", permissions: ["orders:read"] }),
      nextSecret(),
      audit("token.create"),
    );
    await expect(store.registry.delete("orders", audit("resource.delete"))).rejects.toThrow(
      "is used by 1 token(s)",
    );
    await store.tokens.delete(t.id, audit("token.revoke"));
    expect(await store.registry.delete("orders", audit("resource.delete"))).toBe(true);
  });

  it("records lastUsedAt without moving it backwards or bumping the revision", async () => {
    const t = await store.tokens.create(newToken(userId), nextSecret(), audit("token.create"));
    const later = new Date(Date.now() + 60_000);
    await store.tokens.touchLastUsed(t.id, later);
    await store.tokens.touchLastUsed(t.id, new Date());
    const after = await store.tokens.get(t.id);
    expect(after?.lastUsedAt?.getTime()).toBe(later.getTime());
    expect(after?.revision).toBe(1);
  });
});

describe("change feed across two stores on one PostgreSQL", () => {
  it("delivers each change to the other store through NOTIFY", async () => {
    const db = await createTestDatabase();
    const a = await openStore({ kind: "postgres", url: db.url }, log);
    const b = await openStore({ kind: "postgres", url: db.url }, log);
    const seenByB: Change[] = [];
    const seenByA: Change[] = [];
    b.onChange((c) => seenByB.push(c));
    a.onChange((c) => seenByA.push(c));
    const userId = randomUUID();
    await a.users.create({ id: userId, name: "u", admin: false }, audit("user.create"));
    const t = await a.tokens.create(newToken(userId), secret(99), audit("token.create"));
    await a.tokens.delete(t.id, audit("token.revoke"));
    await waitFor(() => seenByB.some((c) => c.entity === "token" && c.op === "delete"), {
      what: "B to hear the delete",
    });
    expect(seenByB.filter((c) => c.entity === "token")).toEqual([
      { entity: "token", op: "upsert", id: t.id, userId, revision: 1 },
      { entity: "token", op: "delete", id: t.id, userId, revision: 2 },
    ]);
    // A heard its own changes once each (locally), not again through NOTIFY.
    expect(seenByA.filter((c) => c.entity === "token")).toHaveLength(2);
    await a.close();
    await b.close();
    await db.drop();
  });
});
