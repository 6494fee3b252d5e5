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
    // PGlite's own failures say what went wrong; PostgreSQL's keep their StoreError, whose
    // cause (the driver's words) the server's start-up turns into a message (startup-error.ts).
    if (
      location.kind !== "postgres" &&
      err instanceof StoreError &&
      err.fault.kind === "unreachable" &&
      err.cause instanceof Error
    )
      throw err.cause;
    throw err;
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
