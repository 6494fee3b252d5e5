import { createHmac, randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { displayPrefix, generateToken } from "../src/core/index.js";
import { load } from "./load.js";
import { startTokenServer } from "./processes.js";
import { atMost, type ScenarioResult } from "./scenario.js";

/** Resident memory and live JS heap (MB), from the server's own /metrics. */
async function memoryMb(url: string): Promise<{ rss: number; heap: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mb = (re: RegExp) => Math.round(Number(re.exec(text)?.[1] ?? 0) / 1e6);
  return {
    rss: mb(/^tokenplane_process_resident_memory_bytes (\d+)/m),
    heap: mb(/^tokenplane_nodejs_heap_size_used_bytes (\d+)/m),
  };
}

/** A server on PostgreSQL holding `count` tokens, each verified once (so all are cached). */
export async function memory(databaseUrl: string, count = 100_000): Promise<ScenarioResult> {
  const admin = randomBytes(24).toString("hex");
  const pepperSecret = randomBytes(32).toString("hex");
  const server = await startTokenServer({
    DATABASE_URL: databaseUrl,
    TOKENPLANE_ADMIN_TOKEN: admin,
    TOKENPLANE_PEPPER: `1:${pepperSecret}`,
  });
  try {
    const idle = await memoryMb(server.url);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const userId = randomUUID();
    await db.query("INSERT INTO users (id, name) VALUES ($1, 'bench-memory')", [userId]);
    const tokens: string[] = [];
    for (let start = 0; start < count; start += 10_000) {
      const ids: string[] = [];
      const prefixes: string[] = [];
      const hashes: Buffer[] = [];
      for (let i = start; i < Math.min(count, start + 10_000); i++) {
        const token = generateToken();
        tokens.push(token);
        ids.push(randomUUID());
        prefixes.push(displayPrefix(token));
        hashes.push(createHmac("sha256", Buffer.from(pepperSecret)).update(token).digest());
      }
      await db.query(
        `INSERT INTO tokens (id, user_id, name, kind, type, permissions, display_prefix, metadata, created_at, updated_at)
         SELECT id, $2, 'm', 'secret', 'custom', ARRAY['orders:read'], p, '{"team":"bench"}', now(), now()
         FROM unnest($1::uuid[], $3::text[]) AS t(id, p)`,
        [ids, userId, prefixes],
      );
      await db.query(
        "INSERT INTO token_secrets (hash, token_id, pepper_version) SELECT h, id, 1 FROM unnest($1::bytea[], $2::uuid[]) AS s(h, id)",
        [hashes, ids],
      );
    }
    await db.end();
    const bodies = tokens.map((token) => JSON.stringify({ token, permission: "orders:read" }));
    const run = await load({
      url: `${server.url}/api/v1/verify`,
      method: "POST",
      headers: { "content-type": "application/json" },
      bodies,
      amount: count,
      seconds: 0,
    });
    if (run.errors > 0 || run.non2xx > 0)
      throw new Error(`memory: ${run.errors} errors, ${run.non2xx} non-2xx`);
    const check = (await (
      await fetch(`${server.url}/api/v1/verify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: bodies[0],
      })
    ).json()) as { code: string };
    if (check.code !== "VALID") throw new Error(`memory: seeded tokens do not verify (${check.code})`);
    const full = await memoryMb(server.url);
    return {
      name: `server memory with ${count.toLocaleString("en")} tokens (PostgreSQL, all cached)`,
      metrics: {
        "RSS idle MB": idle.rss,
        "RSS with all tokens cached MB": full.rss,
        "JS heap used with all tokens cached MB": full.heap,
        "verify req/s while filling": Math.round(run.rps),
      },
      targets: [atMost(`RSS with ${count.toLocaleString("en")} tokens`, full.rss, 300, " MB")],
    };
  } finally {
    await server.stop();
  }
}
