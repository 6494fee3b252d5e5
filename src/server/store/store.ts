import type { Logger } from "pino";
import type { Store } from "../domain/store.js";
import { StoreError } from "../domain/store-faults.js";
import { auditStore } from "./audit-store.js";
import { openChangeBus } from "./change-bus.js";
import type { Database } from "./database.js";
import { migrate } from "./migrations.js";
import { openPglite } from "./pglite-database.js";
import { TEMPLATE } from "./pglite-template.js";
import { registryStore } from "./registry-store.js";
import { tokenStore } from "./token-store.js";
import { usageStore } from "./usage-store.js";
import { userStore } from "./user-store.js";

/** The domain's Store over SQL, with the database under it (for migrations, tests, readiness). */
export interface SqlStore extends Store {
  readonly db: Database;
}

export type StoreLocation =
  { kind: "postgres"; url: string; poolSize?: number } | { kind: "pglite"; dataDir?: string };

/** Opens the database, migrates it and starts listening for changes. */
export async function openStore(location: StoreLocation, log: Logger): Promise<SqlStore> {
  const db =
    location.kind === "postgres"
      ? // Loaded only when used: the embedded default starts faster without the pg driver.
        await (await import("./postgres-database.js")).openPostgres(location.url, log, location.poolSize)
      : await openPglite(location.dataDir, TEMPLATE);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    // At startup the operator needs the driver's own words (which host, refused or timed out),
    // and which setting to fix, not the 503 a client would get.
    if (!(err instanceof StoreError && err.fault.kind === "unreachable" && err.cause instanceof Error))
      throw err;
    if (location.kind !== "postgres") throw err.cause;
    throw new Error(
      `cannot reach PostgreSQL at ${hostOf(location.url)} (DATABASE_URL / --database-url): ${err.cause.message}`,
      { cause: err.cause },
    );
  }
  const bus = await openChangeBus(db, log);
  return {
    db,
    tokens: tokenStore(db, bus),
    users: userStore(db, bus),
    registry: registryStore(db, bus),
    audit: auditStore(db),
    usage: usageStore(db),
    onChange: (listener) => bus.subscribe(listener),
    ping: () => db.ping(),
    async close() {
      await bus.close();
      await db.close();
    },
  };
}

/** host:port of a connection string, never its credentials. */
function hostOf(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    return `${hostname || "localhost"}:${port || "5432"}`;
  } catch {
    return "the configured host";
  }
}
