import fc from "fast-check";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCreditSpender } from "../../src/server/domain/credit-spender.js";
import { createLogger } from "../../src/server/logger.js";
import { SYSTEM_ACTOR } from "../../src/server/domain/audit-entry.js";
import { openStore, type SqlStore } from "../../src/server/store/store.js";
import { createTestDatabase } from "../support/postgres.js";
import { LogCapture, STORE_KINDS } from "../support/token-server.js";

const audit = { actor: SYSTEM_ACTOR, action: "test", targetType: "token", targetId: null };

describe.each(STORE_KINDS)("batched credit spending on %s", (kind) => {
  let store: SqlStore;
  let userId: string;
  beforeAll(async () => {
    let location: Parameters<typeof openStore>[0] = { kind: "pglite" };
    if (kind === "postgres") {
      const db = await createTestDatabase();
      afterAll(db.drop);
      location = { kind: "postgres", url: db.url };
    }
    store = await openStore(location, createLogger({ destination: new LogCapture() }));
    userId = randomUUID();
    await store.users.create({ id: userId, name: "u", admin: false }, audit);
  });
  afterAll(() => store.close());

  async function tokenWith(remaining: number): Promise<string> {
    const id = randomUUID();
    await store.tokens.create(
      {
        id,
        userId,
        kind: "secret",
        signedRequests: false,
        displayPrefix: "tps_x",
        refilledAt: null,
        name: "t",
        description: "",
        type: "read-only",
        permissions: [],
        duration: null,
        expiresAt: null,
        allowedDomains: [],
        allowedIps: [],
        credits: { remaining, refill: null },
        rateLimit: null,
        metadata: {},
        externalId: null,
      },
      { hash: Buffer.from(randomUUID()), pepperVersion: 1, publicKey: null },
      audit,
    );
    return id;
  }

  /** What spending one request at a time, in arrival order, gives. */
  function sequential(start: number, costs: number[]) {
    let left = start;
    return costs.map((cost) => {
      if (cost > left) return { ok: false };
      left -= cost;
      return { ok: true, remaining: left };
    });
  }

  it("admits in arrival order while credits last, exactly as one-at-a-time spending would", async () => {
    const id = await tokenWith(10);
    const spender = createCreditSpender(store);
    const at = new Date();
    const results = await Promise.all([4, 4, 4, 1].map((cost) => spender.spend(id, cost, at)));
    expect(results.map((r) => r?.ok)).toEqual([true, true, false, true]);
    expect(results.filter((r) => r?.ok).map((r) => r?.remaining)).toEqual([6, 2, 1]);
    expect((await store.tokens.get(id))?.credits?.remaining).toBe(1);
  });

  it("matches sequential spending for any costs (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 25 }),
        async (start, costs) => {
          const id = await tokenWith(start);
          const spender = createCreditSpender(store);
          const at = new Date();
          const results = await Promise.all(costs.map((cost) => spender.spend(id, cost, at)));
          const expected = sequential(start, costs);
          expect(results.map((r) => r?.ok)).toEqual(expected.map((e) => e.ok));
          expect(results.flatMap((r) => (r?.ok ? [r.remaining] : []))).toEqual(
            expected.flatMap((e) => (e.ok ? [e.remaining] : [])),
          );
          const final = expected.reduce((left, e) => (e.ok ? (e.remaining ?? left) : left), start);
          expect((await store.tokens.get(id))?.credits?.remaining).toBe(final);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("never over-spends when two spenders (two replicas) share one token", async () => {
    const id = await tokenWith(50);
    const a = createCreditSpender(store);
    const b = createCreditSpender(store);
    const at = new Date();
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 ? a : b).spend(id, 1, at)));
    expect(results.filter((r) => r?.ok)).toHaveLength(50);
    expect(new Set(results.flatMap((r) => (r?.ok ? [r.remaining] : []))).size).toBe(50);
    expect((await store.tokens.get(id))?.credits?.remaining).toBe(0);
  });
});
