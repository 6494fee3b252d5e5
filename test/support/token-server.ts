import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll } from "vitest";
import { createLogger, type RunningServer, type ServerOptions, startServer } from "../../src/server/index.js";
import { client, type Client } from "./http.js";
import { createTestDatabase } from "./postgres.js";

export type StoreKind = "pglite" | "postgres";
export const STORE_KINDS: readonly StoreKind[] = ["pglite", "postgres"];

/** Every log line a server wrote, for asserting what never appears in them. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(
      ...chunk
        .toString("utf8")
        .split("\n")
        .filter((l) => l !== ""),
    );
    done();
  }
  get text(): string {
    return this.lines.join("\n");
  }
}

export interface TestServer {
  server: RunningServer;
  url: string;
  adminToken: string;
  admin: Client;
  anonymous: Client;
  logs: LogCapture;
  options: ServerOptions;
  /** Stops this server and starts a new one on the same storage and secrets. */
  restart(extra?: Partial<ServerOptions>): Promise<TestServer>;
  close(): Promise<void>;
}

export async function startTestServerWith(
  options: ServerOptions,
  logs = new LogCapture(),
): Promise<TestServer> {
  const server = await startServer(
    { port: 0, host: "127.0.0.1", ...options },
    createLogger({ level: "debug", destination: logs }),
  );
  const adminToken = options.adminToken ?? server.generatedAdminToken;
  if (!adminToken) throw new Error("test servers need an admin token");
  const self: TestServer = {
    server,
    url: server.url,
    adminToken,
    admin: client(server.url, adminToken),
    anonymous: client(server.url),
    logs,
    options,
    async restart(extra = {}) {
      await server.close();
      return startTestServerWith({ ...options, ...extra }, logs);
    },
    close: () => server.close(),
  };
  return self;
}

/**
 * A listening token server on a fresh store of `kind`: in-memory PGlite, or a new database
 * on the run's PostgreSQL. The database is dropped after the file's tests.
 */
export async function startTestServer(
  kind: StoreKind,
  extra: Partial<ServerOptions> = {},
): Promise<TestServer> {
  const base: ServerOptions = {
    adminToken: `admin-${randomBytes(24).toString("hex")}`,
    pepper: `1:${randomBytes(32).toString("hex")}`,
    heartbeatMs: 200,
    ...extra,
  };
  if (kind === "postgres" && !base.databaseUrl) {
    const db = await createTestDatabase();
    afterAll(db.drop);
    base.databaseUrl = db.url;
  } else if (kind === "pglite" && !base.dataDir) {
    base.memory = true;
  }
  return startTestServerWith(base);
}
