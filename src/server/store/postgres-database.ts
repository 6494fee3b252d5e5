import pg from "pg";
import type { Logger } from "pino";
import type { Database, Row, Tx } from "./database.js";

const LISTEN_RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

/** PostgreSQL through a `pg` pool; LISTEN runs on its own connection that reconnects. */
/**
 * Concurrent transactions share a commit flush (PostgreSQL's group commit), so a larger pool
 * raises the write rate a disk allows; each replica holds up to this many connections.
 */
export const DEFAULT_POOL_SIZE = 20;

export async function openPostgres(
  url: string,
  log: Logger,
  poolSize = DEFAULT_POOL_SIZE,
): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", (err) => log.warn({ err: err.message }, "postgres pool client error"));
  let closed = false;

  const query = async <T extends Row>(text: string, params?: readonly unknown[]): Promise<T[]> =>
    (await pool.query<T>(text, params as unknown[] | undefined)).rows;

  const db: Database = {
    kind: "postgres",
    query,
    async exec(text) {
      await pool.query(text);
    },
    async transaction(fn) {
      const client = await pool.connect();
      const committed: (() => void)[] = [];
      const tx: Tx = {
        afterCommit: (f) => committed.push(f),
        query: async <T extends Row>(text: string, params?: readonly unknown[]) =>
          (await client.query<T>(text, params as unknown[] | undefined)).rows,
        exec: async (text) => {
          await client.query(text);
        },
      };
      try {
        await client.query("BEGIN");
        const result = await fn(tx);
        await client.query("COMMIT");
        for (const f of committed) f();
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      let client: pg.Client | undefined;
      let stopped = false;
      let attempt = 0;
      const connect = async (): Promise<void> => {
        while (!stopped && !closed) {
          const c = new pg.Client({ connectionString: url });
          try {
            c.on("error", () => undefined);
            await c.connect();
            c.on("notification", (msg) => {
              if (msg.channel === channel && msg.payload !== undefined) onPayload(msg.payload);
            });
            c.on("end", () => {
              if (client === c) client = undefined;
              if (!stopped && !closed) {
                log.warn({ channel }, "postgres LISTEN connection lost; reconnecting");
                // A reconnect can miss notifications; listeners treat "" as "resync everything".
                void connect().then(() => onPayload(""));
              }
            });
            await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
            client = c;
            attempt = 0;
            return;
          } catch (err) {
            await c.end().catch(() => undefined);
            const delay = LISTEN_RETRY_MS[Math.min(attempt++, LISTEN_RETRY_MS.length - 1)] ?? 5000;
            log.warn({ channel, err: (err as Error).message, delay }, "postgres LISTEN failed; retrying");
            await new Promise((r) => setTimeout(r, delay));
          }
        }
      };
      await connect();
      return async () => {
        stopped = true;
        await client?.end().catch(() => undefined);
      };
    },
    async ping() {
      await pool.query("SELECT 1");
    },
    async close() {
      closed = true;
      await pool.end();
    },
  };
  return db;
}
