import { PGlite } from "@electric-sql/pglite";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { displayPrefix, generateToken } from "../src/core/index.js";
import { assertNoFailures, load } from "./load.js";
import { type Proc, startTokenServer } from "./processes.js";
import { atMost, type ScenarioResult } from "./scenario.js";

type Query = (text: string, params: unknown[]) => Promise<unknown>;

/**
 * `count` tokens written straight into the tables (the API would take minutes), hashed with
 * `pepperSecret` as the server hashes them. Returns the plain tokens.
 */
async function seedTokens(query: Query, pepperSecret: string, count: number): Promise<string[]> {
  const userId = randomUUID();
  await query("INSERT INTO users (id, name) VALUES ($1, 'bench-memory')", [userId]);
  const tokens: string[] = [];
  for (let start = 0; start < count; start += 10_000) {
    const ids: string[] = [];
    const prefixes: string[] = [];
    const hashes: string[] = [];
    for (let i = start; i < Math.min(count, start + 10_000); i++) {
      const token = generateToken();
      tokens.push(token);
      ids.push(randomUUID());
      prefixes.push(displayPrefix(token));
      hashes.push(createHmac("sha256", Buffer.from(pepperSecret)).update(token).digest("hex"));
    }
    await query(
      `INSERT INTO tokens (id, user_id, name, kind, type, permissions, display_prefix, metadata, created_at, updated_at)
       SELECT id, $2, 'm', 'secret', 'custom', ARRAY['orders:read'], p, '{"team":"bench"}', now(), now()
       FROM unnest($1::uuid[], $3::text[]) AS t(id, p)`,
      [ids, userId, prefixes],
    );
    await query(
      `INSERT INTO token_secrets (hash, token_id, pepper_version)
       SELECT decode(h, 'hex'), id, 1 FROM unnest($1::text[], $2::uuid[]) AS s(h, id)`,
      [hashes, ids],
    );
  }
  return tokens;
}

/** Verifies every token once (so all are cached), and checks they verify. */
async function verifyAll(server: Proc, tokens: string[]): Promise<number> {
  const bodies = tokens.map((token) => JSON.stringify({ token, permission: "orders:read" }));
  const run = await load({
    url: `${server.url}/api/v1/verify`,
    method: "POST",
    headers: { "content-type": "application/json" },
    bodies,
    amount: tokens.length,
    seconds: 0,
  });
  assertNoFailures({ memory: run });
  const check = (await (
    await fetch(`${server.url}/api/v1/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bodies[0],
    })
  ).json()) as { code: string };
  if (check.code !== "VALID") throw new Error(`memory: seeded tokens do not verify (${check.code})`);
  return Math.round(run.rps);
}

const heapUsedMb = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Math.round(Number(/^tokenplane_nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1] ?? 0) / 1e6);
};

/**
 * A server on PostgreSQL (a full one, or with `role` "data-plane" one that serves only verify,
 * forward auth and the probes) holding `count` tokens, each verified once (so all are cached).
 */
export async function memory(
  databaseUrl: string,
  count = 100_000,
  role: "all" | "data-plane" = "all",
): Promise<ScenarioResult> {
  const pepperSecret = randomBytes(32).toString("hex");
  const server = await startTokenServer(
    {
      DATABASE_URL: databaseUrl,
      TOKENPLANE_ADMIN_TOKEN: randomBytes(24).toString("hex"),
      TOKENPLANE_PEPPER: `1:${pepperSecret}`,
    },
    ["--role", role],
  );
  try {
    const idle = await server.rssAfterGcMb();
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const tokens = await seedTokens((text, params) => db.query(text, params), pepperSecret, count);
    await db.end();
    const rps = await verifyAll(server, tokens);
    const full = await server.rssAfterGcMb();
    return {
      name: `${role === "all" ? "server" : "data-plane server"} memory with ${count.toLocaleString("en")} tokens (PostgreSQL, all cached)`,
      metrics: {
        "RSS idle MB": idle,
        "RSS with all tokens cached MB": full,
        "JS heap used with all tokens cached MB": await heapUsedMb(server.url),
        "verify req/s while filling": rps,
      },
      targets: [atMost(`RSS with ${count.toLocaleString("en")} tokens`, full, 300, " MB")],
    };
  } finally {
    await server.stop();
  }
}

/**
 * The embedded default: idle after a restart on an existing data dir, then `count` tokens
 * seeded into its PGlite (while the server is stopped) and each verified once.
 */
export async function embeddedMemory(count = 100_000): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-bench-memory-"));
  const pepperSecret = randomBytes(32).toString("hex");
  const env = {
    TOKENPLANE_DATA_DIR: dir,
    TOKENPLANE_ADMIN_TOKEN: randomBytes(24).toString("hex"),
    TOKENPLANE_PEPPER: `1:${pepperSecret}`,
  };
  try {
    // The first start makes the data dir; what an operator sees on every later start is this:
    await (await startTokenServer(env)).stop();
    const restarted = await startTokenServer(env);
    const idle = await restarted.rssAfterGcMb();
    await restarted.stop();

    const lite = await PGlite.create({ dataDir: join(dir, "pglite") });
    const tokens = await seedTokens((text, params) => lite.query(text, params), pepperSecret, count);
    await lite.close();

    const server = await startTokenServer(env);
    try {
      const rps = await verifyAll(server, tokens);
      const full = await server.rssAfterGcMb();
      return {
        name: `server memory, embedded PGlite (idle; ${count.toLocaleString("en")} tokens all cached)`,
        metrics: {
          "RSS idle MB": idle,
          "RSS with all tokens cached MB": full,
          "JS heap used with all tokens cached MB": await heapUsedMb(server.url),
          "verify req/s while filling": rps,
        },
        targets: [
          atMost("server RSS idle (embedded)", idle, 150, " MB"),
          atMost(`RSS with ${count.toLocaleString("en")} tokens (embedded)`, full, 300, " MB"),
        ],
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
