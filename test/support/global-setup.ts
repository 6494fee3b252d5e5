import { existsSync, statSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { buildTemplate, TEMPLATE_FILE } from "../../src/server/store/pglite-template.js";
import { startPostgres } from "./postgres-instance.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL; suites create their own databases on it. */
    postgresAdminUrl: string;
  }
}

/** The PGlite template the embedded store starts from, rebuilt when the migrations change. */
async function ensurePgliteTemplate(): Promise<void> {
  const migrations = new URL("../../src/server/store/migrations.ts", import.meta.url);
  if (existsSync(TEMPLATE_FILE) && statSync(TEMPLATE_FILE).mtimeMs >= statSync(migrations).mtimeMs) return;
  await buildTemplate();
}

/** One real PostgreSQL for the whole run, in its own process (see postgres-process.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [, postgres] = await Promise.all([ensurePgliteTemplate(), startPostgres()]);
  project.provide("postgresAdminUrl", postgres.url);
  return () => postgres.close();
}
