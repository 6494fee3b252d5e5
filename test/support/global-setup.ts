import { existsSync, statSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { buildTemplate, TEMPLATE_FILE } from "../../src/server/store/pglite-template.js";
import { type PostgresInstance, startPostgres } from "./postgres-instance.js";

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

/** What the projects listing this file share: one PostgreSQL, however many of them run. */
interface SharedPostgres {
  ready: Promise<PostgresInstance>;
  users: number;
}
// Global setups of all projects run in the main vitest process, but each project loads its own copy of this module.
const SHARED = Symbol.for("tokenplane.test.postgres");
const registry = globalThis as typeof globalThis & { [SHARED]?: SharedPostgres };

/**
 * One real PostgreSQL for the whole run, in its own process (see postgres-process.ts), started by the
 * first project that needs it (integration, slow) and stopped after the last one's teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = (registry[SHARED] ??= {
    ready: Promise.all([ensurePgliteTemplate(), startPostgres()]).then(([, postgres]) => postgres),
    users: 0,
  });
  shared.users++;
  const postgres = await shared.ready;
  project.provide("postgresAdminUrl", postgres.url);
  return async () => {
    if (--shared.users > 0) return;
    delete registry[SHARED];
    await postgres.close();
  };
}
