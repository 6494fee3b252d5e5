import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { buildTemplate, TEMPLATE_FILE } from "../../src/server/store/pglite-template.js";

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
  const [, url] = await Promise.all([ensurePgliteTemplate(), startPostgres()]).then(
    ([a, b]) => [a, b.url] as const,
  );
  project.provide("postgresAdminUrl", url);
  return async () => {
    await postgres?.stop();
  };
}

let postgres: { url: string; stop: () => Promise<void> } | undefined;

async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL("./postgres-process.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exited.then((code) =>
      reject(new Error(`PostgreSQL for tests exited with ${code} before it was ready`)),
    );
  });
  postgres = {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
  return postgres;
}
