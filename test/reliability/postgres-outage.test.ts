import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User, VerifyResult } from "../../src/api/index.js";
import { registerResource } from "../support/fixtures.js";
import { createLogger } from "../../src/server/logger.js";
import { openStore } from "../../src/server/store/store.js";
import { startPostgres, type PostgresInstance } from "../support/postgres-instance.js";
import { LogCapture, startTestServerWith, type TestServer } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

/**
 * PostgreSQL stopped and started under sustained load, with two replicas on it. Cached
 * tokens keep verifying; what needs storage gets 503 (never VALID, never 500); /readyz
 * says so; everything recovers by itself, including the LISTEN connection; no token that
 * was acknowledged is lost and no credit is spent twice.
 */
const PROPAGATION_BOUND_MS = 1000;
const CREDITS = 1_000_000;
const SCARCE = 40;

type Tally = Map<string, number>;
const count = (tally: Tally, key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

describe("PostgreSQL stopped and started under load", () => {
  let postgres: PostgresInstance;
  let a: TestServer;
  let b: TestServer;
  let me: User;
  let running = false;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    process.on("uncaughtException", onUnhandled);
    postgres = await startPostgres();
    const options = {
      databaseUrl: postgres.url,
      pepper: `1:${randomBytes(32).toString("hex")}`,
      adminToken: randomBytes(24).toString("hex"),
      databasePoolSize: 8,
    };
    a = await startTestServerWith(options);
    b = await startTestServerWith(options);
    me = (await a.admin<User>("GET", "/api/v1/user")).body;
    await registerResource(a, "orders");
  }, 120_000);

  afterAll(async () => {
    running = false;
    process.off("unhandledRejection", onUnhandled);
    process.off("uncaughtException", onUnhandled);
    await a?.close();
    await b?.close();
    await postgres?.close();
  });

  const create = async (srv: TestServer, body: Record<string, unknown>) => {
    const res = await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, { body });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
    return res.body;
  };
  const verify = (srv: TestServer, token: string, extra: Record<string, unknown> = {}) =>
    srv.anonymous<VerifyResult>("POST", "/api/v1/verify", { body: { token, ...extra } });
  const readyz = async (srv: TestServer) => (await srv.anonymous("GET", "/readyz")).status;

  it(
    "keeps cached tokens verifying, answers 503 for what needs storage, and recovers by itself",
    { timeout: 120_000 },
    async () => {
      // Cached on A and B: verified once before the outage. Fresh: never verified anywhere yet,
      // each verified on A until it is VALID (and so cached), then the next one is taken.
      const cached = await Promise.all(
        Array.from({ length: 4 }, (_, i) => create(a, { name: `cached-${i}` })),
      );
      const fresh = await Promise.all(
        Array.from({ length: 250 }, (_, i) => create(b, { name: `fresh-${i}` })),
      );
      const credit = await create(a, { name: "credit", credits: { remaining: CREDITS } });
      const scarce = await create(a, { name: "scarce", credits: { remaining: SCARCE } });
      for (const t of cached) {
        expect((await verify(a, t.token)).body.code).toBe("VALID");
        expect((await verify(b, t.token)).body.code).toBe("VALID");
      }

      const tally: Tally = new Map();
      const problems: string[] = [];
      const acknowledged: IssuedAccessToken[] = [];
      let phase: "before" | "down" | "after" = "before";
      running = true;
      /** Records an answer; `ok` says whether it is one this request may get at all. */
      const note = (what: string, res: { status: number; text: string; body: unknown }, ok: boolean) => {
        const code = (res.body as { code?: string } | undefined)?.code;
        count(tally, `${phase} ${what} ${res.status}${code ? ` ${code}` : ""}`);
        if (!ok) problems.push(`${phase} ${what}: ${res.status} ${res.text.slice(0, 300)}`);
        // Every refusal is problem+json, the outage's 503 included.
        if (res.status >= 400 && !/"title"/.test(res.text)) problems.push(`${phase} ${what}: ${res.text}`);
      };
      /** Runs `step` until the load stops; a throw is a problem, not an unhandled rejection. */
      const loop = async (step: (i: number) => Promise<void>) => {
        try {
          for (let i = 0; running; i++) await step(i);
        } catch (err) {
          problems.push(`${phase}: ${(err as Error).message}`);
        }
      };
      const isValid = (res: { status: number; body: { code?: string } }) =>
        res.status === 200 && res.body.code === "VALID";
      const edited = await create(a, { name: "edited" });
      let next = 0;

      const loops = [
        // Cached tokens need no storage: VALID, whatever PostgreSQL does.
        loop(async (i) => {
          const t = cached[i % cached.length] as IssuedAccessToken;
          const res = await verify(a, t.token, { permission: "orders:read" });
          note("cached", res, isValid(res));
        }),
        // Malformed tokens are refused offline: NOT_FOUND, never 503.
        loop(async (i) => {
          const res = await verify(a, `${cached[0]?.token.slice(0, 50)}${i % 10}zz`);
          note("malformed", res, res.status === 200 && res.body.code === "NOT_FOUND");
        }),
        // Uncached tokens need storage: VALID or 503, never NOT_FOUND (they exist), never 500.
        // Each is retried until VALID (then it is cached), and the next one taken.
        loop(async () => {
          const t = fresh[next % fresh.length] as IssuedAccessToken;
          const res = await verify(a, t.token);
          note("uncached", res, isValid(res) || res.status === 503);
          if (isValid(res)) next++;
        }),
        loop(async () => {
          const res = await verify(a, credit.token);
          note("credit", res, isValid(res) || res.status === 503);
        }),
        // On B, so the two replicas spend the scarce credits together.
        loop(async () => {
          const res = await verify(b, scarce.token);
          note("scarce", res, isValid(res) || res.status === 503 || res.body.code === "USAGE_EXCEEDED");
        }),
        loop(async (i) => {
          const res = await a.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
            body: { name: `load-${i}` },
          });
          note("create", res, res.status === 201 || res.status === 503);
          if (res.status === 201) acknowledged.push(res.body);
        }),
        // Edits run in transactions; on B.
        loop(async (i) => {
          const res = await b.admin("PATCH", `/api/v1/users/${me.id}/access-tokens/${edited.id}`, {
            body: { description: `edit ${i}` },
          });
          note("edit", res, res.status === 200 || res.status === 503);
        }),
      ];

      const seen = (key: string, n = 1) => (tally.get(key) ?? 0) >= n;
      const table = () =>
        [...tally]
          .sort()
          .map(([k, n]) => `${k}: ${n}`)
          .join("\n");
      /** waitFor, reporting what the load saw so far when it gives up. */
      const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
        try {
          await waitFor(async () => (await check()) || undefined, { timeoutMs, what });
        } catch (err) {
          const logged = [a, b].flatMap((srv) =>
            srv.logs.lines.filter((l) => l.includes('"level":50')).slice(0, 2),
          );
          throw new Error(
            `${(err as Error).message}\n${table()}\n${problems.slice(0, 5).join("\n")}\n${logged.join("\n").slice(0, 3000)}`,
          );
        }
      };
      await until(
        "load before the outage",
        () => seen("before create 201", 20) && seen("before credit 200 VALID", 20),
      );

      await postgres.stop();
      phase = "down";
      await until(
        "/readyz to report the outage",
        async () => (await readyz(a)) === 503 && (await readyz(b)) === 503,
      );
      await until(
        "load during the outage",
        () =>
          seen("down cached 200 VALID", 50) &&
          seen("down malformed 200 NOT_FOUND", 50) &&
          seen("down uncached 503", 10) &&
          seen("down credit 503", 10) &&
          seen("down create 503", 10) &&
          seen("down edit 503", 10),
      );

      await postgres.start();
      phase = "after";
      await until(
        "/readyz to report recovery",
        async () => (await readyz(a)) === 200 && (await readyz(b)) === 200,
      );
      await until(
        "service to resume by itself",
        () =>
          seen("after create 201", 5) &&
          seen("after uncached 200 VALID", 5) &&
          seen("after credit 200 VALID", 5) &&
          seen("after edit 200", 5),
      );
      running = false;
      await Promise.all(loops);

      expect(problems.slice(0, 5), table()).toEqual([]);

      // No token acknowledged with 201 was lost: each exists and verifies, on both replicas.
      type Page = { items: { id: string }[]; nextCursor: string | null };
      const listed = new Set<string>();
      for (let cursor: string | null = ""; cursor !== null;) {
        const page: Page = (
          await a.admin<Page>("GET", `/api/v1/users/${me.id}/access-tokens?limit=500&cursor=${cursor}`)
        ).body;
        for (const item of page.items) listed.add(item.id);
        cursor = page.nextCursor;
      }
      expect(acknowledged.length).toBeGreaterThan(20);
      for (const t of acknowledged) {
        expect(listed.has(t.id), t.id).toBe(true);
        expect((await verify(a, t.token)).body.code).toBe("VALID");
        expect((await verify(b, t.token)).body.code).toBe("VALID");
      }

      // No credit spent twice: the credits went down by at least one per VALID answer, and by
      // at most one more per request whose answer was lost to the outage (a 503).
      const total = (suffix: string) =>
        [...tally].filter(([k]) => k.endsWith(suffix)).reduce((n, [, v]) => n + v, 0);
      const valid = total(" credit 200 VALID");
      const failed = total(" credit 503");
      const remaining = (
        await a.admin<{ credits: { remaining: number } }>(
          "GET",
          `/api/v1/users/${me.id}/access-tokens/${credit.id}`,
        )
      ).body.credits.remaining;
      expect(CREDITS - remaining).toBeGreaterThanOrEqual(valid);
      expect(CREDITS - remaining).toBeLessThanOrEqual(valid + failed);
      // Two replicas spending 40 credits never let more than 40 uses through.
      expect(total(" scarce 200 VALID")).toBeLessThanOrEqual(SCARCE);

      expect(unhandled).toEqual([]);
      for (const srv of [a, b]) {
        expect(srv.logs.text).not.toMatch(/unhandled error/);
      }
    },
  );

  it("after recovery a revocation on A still reaches B within a second (LISTEN reconnected)", async () => {
    const t = await create(a, { name: "revoke-after-recovery" });
    expect((await verify(b, t.token)).body.code).toBe("VALID");
    expect((await a.admin("DELETE", `/api/v1/users/${me.id}/access-tokens/${t.id}`)).status).toBe(204);
    await waitFor(async () => (await verify(b, t.token)).body.code === "NOT_FOUND", {
      timeoutMs: PROPAGATION_BOUND_MS,
      intervalMs: 10,
      what: "B to refuse the token revoked on A",
    });
  });

  it("a transaction whose connection is cut between statements fails with 503, and the process lives on", async () => {
    const store = await openStore(
      { kind: "postgres", url: postgres.url },
      createLogger({ destination: new LogCapture() }),
    );
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      const cutBetween = store.db.transaction(async (tx) => {
        const [row] = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        await admin.query("SELECT pg_terminate_backend($1)", [row?.pid]);
        // The termination arrives while no statement of ours is running.
        await waitFor(
          async () =>
            (await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [row?.pid])).rowCount === 0,
        );
        await tx.query("SELECT 1");
      });
      const outcome: unknown = await cutBetween.catch((err: unknown) => err);
      // With nobody listening for the client's 'error' event, this was an uncaught exception: a crash.
      expect(unhandled).toEqual([]);
      // Answered as 503 Service Unavailable (edge/error-status.ts) wherever it surfaces.
      expect(outcome).toMatchObject({
        code: "UNAVAILABLE",
        fault: { kind: "unreachable", part: "database" },
      });
      const cutDuring = store.db.transaction((tx) =>
        tx.query("SELECT pg_terminate_backend(pg_backend_pid())"),
      );
      await expect(cutDuring).rejects.toMatchObject({ code: "UNAVAILABLE" });
      // The pool hands out working connections afterwards.
      for (let i = 0; i < 5; i++) expect(await store.db.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
      expect(unhandled).toEqual([]);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it("a cut LISTEN connection is re-established once per replica, and revocations reach it again", async () => {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    const listeners = async () =>
      (
        await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid() ORDER BY pid",
        )
      ).rows.map((r) => r.pid);
    try {
      const before = await listeners();
      expect(before).toHaveLength(2);
      await admin.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [before]);
      await waitFor(
        async () => {
          const now = await listeners();
          return (
            now.length === 2 &&
            now.every((pid) => !before.includes(pid)) &&
            (await readyz(a)) === 200 &&
            (await readyz(b)) === 200
          );
        },
        { timeoutMs: 10_000, what: "both replicas to listen again" },
      );
      const t = await create(a, { name: "revoke-after-relisten" });
      expect((await verify(b, t.token)).body.code).toBe("VALID");
      expect((await a.admin("DELETE", `/api/v1/users/${me.id}/access-tokens/${t.id}`)).status).toBe(204);
      await waitFor(async () => (await verify(b, t.token)).body.code === "NOT_FOUND", {
        timeoutMs: PROPAGATION_BOUND_MS,
        intervalMs: 10,
        what: "B to refuse the token revoked on A",
      });
      expect(await listeners()).toHaveLength(2);
    } finally {
      await admin.end();
    }
  });

  it("refuses to start on an unreachable PostgreSQL with the driver's reason, not a 503 message", async () => {
    const closed = new URL(postgres.url);
    closed.port = "1";
    await expect(
      startTestServerWith({
        databaseUrl: closed.toString(),
        pepper: `1:${"p".repeat(40)}`,
        adminToken: randomBytes(24).toString("hex"),
      }),
    ).rejects.toThrow(
      /^cannot reach PostgreSQL at 127\.0\.0\.1:1 \(DATABASE_URL \/ --database-url\): .*ECONNREFUSED/,
    );
  });
});
