import { createHash } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import { StoreError } from "../domain/store-faults.js";
import type { Database, Row, Tx } from "./database.js";

/** Reconnect delays for LISTEN: a replica without it misses revocations, so never wait long. */
const LISTEN_RETRY_MS = [100, 250, 500, 1000];
const CONNECT_TIMEOUT_MS = 5000;

/** SQLSTATE classes that mean "cannot serve now": connection exception, insufficient resources, operator intervention (shutdown), system error. */
const UNAVAILABLE_SQLSTATE = /^(08|53|57|58)/;
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
]);
/** What the pg driver says (without a code) when a connection is gone or cannot be had. */
const DRIVER_UNAVAILABLE = /Connection terminated|not queryable|timeout exceeded when trying to connect/;

/**
 * A database that cannot be reached is a 503 ("try again"), not a 500: the error becomes
 * an `unreachable` StoreError, its cause kept for the logs. Errors about the statement itself stay as
 * they are (the stores handle unique violations and the like by their codes).
 */
function asUnavailable(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  const down =
    err instanceof pg.DatabaseError
      ? typeof code === "string" && UNAVAILABLE_SQLSTATE.test(code)
      : (typeof code === "string" && NETWORK_CODES.has(code)) || DRIVER_UNAVAILABLE.test(err.message);
  if (!down) return err;
  return new StoreError({ kind: "unreachable", part: "database" }, err);
}

async function guarded<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw asUnavailable(err);
  }
}

/**
 * Concurrent transactions share a commit flush (PostgreSQL's group commit), so a larger pool
 * raises the write rate a disk allows; each replica holds up to this many connections.
 */
export const DEFAULT_POOL_SIZE = 20;

/**
 * Statements are prepared once per connection and reused by name: parsing and planning the
 * token-creation statement each time cost PostgreSQL more CPU than running it. The store's
 * SQL texts are code constants, so the names are few; a cap keeps any other text unnamed.
 */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 500;
function statement(text: string, params?: readonly unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `tp_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { text, values: params as unknown[] | undefined, ...(name ? { name } : {}) };
}

/** PostgreSQL through a `pg` pool; LISTEN runs on its own connection that reconnects. */
export async function openPostgres(
  url: string,
  log: Logger,
  poolSize = DEFAULT_POOL_SIZE,
): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", (err) => log.warn({ err: err.message }, "postgres pool client error"));
  let closed = false;
  /** LISTEN registrations whose connection is down: the replica may miss changes meanwhile. */
  let listenersDown = 0;

  const query = async <T extends Row>(text: string, params?: readonly unknown[]): Promise<T[]> =>
    (await guarded(pool.query<T>(statement(text, params)))).rows;

  const db: Database = {
    kind: "postgres",
    query,
    async exec(text) {
      await guarded(pool.query(text));
    },
    async transaction(fn) {
      const client = await guarded(pool.connect());
      // The pool listens for errors only on idle clients: a connection lost between two
      // statements would otherwise be an unhandled 'error' event, which ends the process.
      let broken: Error | undefined;
      const onError = (err: Error): void => {
        broken ??= err;
      };
      client.on("error", onError);
      const committed: (() => void)[] = [];
      const tx: Tx = {
        afterCommit: (f) => committed.push(f),
        query: async <T extends Row>(text: string, params?: readonly unknown[]) =>
          (await guarded(client.query<T>(statement(text, params)))).rows,
        exec: async (text) => {
          await guarded(client.query(text));
        },
      };
      try {
        await tx.exec("BEGIN");
        const result = await fn(tx);
        await tx.exec("COMMIT");
        for (const f of committed) f();
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch((rollbackFailed: Error) => {
          broken ??= rollbackFailed;
        });
        throw err;
      } finally {
        client.off("error", onError);
        // A client that lost its connection, or may still be inside a transaction, is discarded.
        client.release(broken);
      }
    },
    async listen(channel, onPayload) {
      let client: pg.Client | undefined;
      let stopped = false;
      let connecting: Promise<void> | undefined;
      listenersDown++;
      const down = (): boolean => stopped || closed;

      const attempt = async (): Promise<pg.Client> => {
        const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
        c.on("error", () => undefined);
        c.on("notification", (msg) => {
          if (msg.channel === channel && msg.payload !== undefined) onPayload(msg.payload);
        });
        try {
          await c.connect();
          await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
          return c;
        } catch (err) {
          await c.end().catch(() => undefined);
          throw err;
        }
      };

      /** One reconnect loop at a time, however the connection was lost. */
      const connect = (): Promise<void> =>
        (connecting ??= (async () => {
          for (let n = 0; !down(); n++) {
            try {
              const c = await attempt();
              if (down()) {
                await c.end().catch(() => undefined);
                return;
              }
              c.once("end", () => {
                if (client !== c) return;
                client = undefined;
                listenersDown++;
                if (down()) return;
                log.warn({ channel }, "postgres LISTEN connection lost; reconnecting");
                // A reconnect can miss notifications; listeners treat "" as "resync everything".
                void connect().then(() => {
                  if (client) onPayload("");
                });
              });
              client = c;
              listenersDown--;
              return;
            } catch (err) {
              const delay = LISTEN_RETRY_MS[Math.min(n, LISTEN_RETRY_MS.length - 1)] ?? 1000;
              log.warn({ channel, err: (err as Error).message, delay }, "postgres LISTEN failed; retrying");
              await new Promise((r) => setTimeout(r, delay));
            }
          }
        })().finally(() => {
          connecting = undefined;
        }));

      await connect();
      return async () => {
        stopped = true;
        const c = client;
        client = undefined;
        if (c) listenersDown++;
        await c?.end().catch(() => undefined);
      };
    },
    async ping() {
      // Without its LISTEN connection this replica cannot hear of revocations elsewhere.
      if (listenersDown > 0) throw new StoreError({ kind: "unreachable", part: "notifications" });
      await guarded(pool.query("SELECT 1"));
    },
    async close() {
      closed = true;
      await pool.end();
    },
  };
  return db;
}
