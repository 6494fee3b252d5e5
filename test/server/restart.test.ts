import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { IssuedAccessToken, User } from "../../src/api/index.js";
import { client } from "../support/http.js";
import { createTestDatabase } from "../support/postgres.js";
import { LogCapture, startTestServerWith, type TestServer } from "../support/token-server.js";
import { createLogger, startServer } from "../../src/server/index.js";

const self = (url: string, token: string) => client(url, token)("GET", "/api/v1/access-tokens/self");

async function issue(srv: TestServer, count: number): Promise<IssuedAccessToken[]> {
  const me = (await srv.admin<User>("GET", "/api/v1/user")).body;
  const out: IssuedAccessToken[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      (
        await srv.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
          body: { name: `t${i}` },
        })
      ).body,
    );
  }
  return out;
}

describe("restarts", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), "tokenplane-restart-"));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("keeps every token valid across a restart on the same data dir, with generated admin token and pepper", async () => {
    const dataDir = tempDir();
    const logs = new LogCapture();
    const first = await startServer(
      { port: 0, host: "127.0.0.1", dataDir },
      createLogger({ destination: logs }),
    );
    const adminToken = first.generatedAdminToken as string;
    expect(adminToken).toMatch(/^tps_/);
    expect(statSync(join(dataDir, "pepper")).mode & 0o777).toBe(0o600);
    // A second process on the same directory would corrupt it: refused while the first runs.
    await expect(startServer({ port: 0, dataDir }, createLogger({ destination: logs }))).rejects.toThrow(
      `is in use by process ${process.pid}`,
    );
    const a = { url: first.url, admin: client(first.url, adminToken) };
    const me = (await a.admin<User>("GET", "/api/v1/user")).body;
    const tokens: IssuedAccessToken[] = [];
    for (let i = 0; i < 5; i++) {
      tokens.push(
        (
          await a.admin<IssuedAccessToken>("POST", `/api/v1/users/${me.id}/access-tokens`, {
            body: { name: `t${i}` },
          })
        ).body,
      );
    }
    await first.close();

    const second = await startServer(
      { port: 0, host: "127.0.0.1", dataDir },
      createLogger({ destination: logs }),
    );
    expect(second.generatedAdminToken).toBeUndefined();
    for (const t of tokens) expect((await self(second.url, t.token)).status).toBe(200);
    expect((await self(second.url, adminToken)).status).toBe(200);
    expect(logs.text).not.toContain(adminToken.slice(8));
    await second.close();
  });

  it("keeps tokens valid across a restart on PostgreSQL", async () => {
    const db = await createTestDatabase();
    const options = {
      databaseUrl: db.url,
      pepper: `1:${randomBytes(32).toString("hex")}`,
      adminToken: randomBytes(24).toString("hex"),
    };
    const srv = await startTestServerWith(options);
    const tokens = await issue(srv, 3);
    const again = await srv.restart();
    for (const t of tokens) expect((await self(again.url, t.token)).status).toBe(200);
    await again.close();
    await db.drop();
  });

  it("rotates the admin token when TOKENPLANE_ADMIN_TOKEN changes, and generates one when it is removed", async () => {
    const dataDir = tempDir();
    const oldAdmin = randomBytes(24).toString("hex");
    const newAdmin = randomBytes(24).toString("hex");
    const srv = await startTestServerWith({ dataDir, adminToken: oldAdmin });
    const adminId = (await srv.admin<{ id: string }>("GET", "/api/v1/access-tokens/self")).body.id;
    const rotated = await srv.restart({ adminToken: newAdmin });
    expect((await self(rotated.url, oldAdmin)).status).toBe(401);
    const now = await self(rotated.url, newAdmin);
    expect(now.status).toBe(200);
    expect((now.body as { id: string; displayPrefix: string }).id).toBe(adminId);
    expect((now.body as { displayPrefix: string }).displayPrefix).toBe("(env)");
    await rotated.close();

    const tokenFile = join(tempDir(), "admin-token");
    const logs = new LogCapture();
    const generated = await startServer(
      { port: 0, host: "127.0.0.1", dataDir, adminTokenFile: tokenFile },
      createLogger({ destination: logs }),
    );
    expect(generated.generatedAdminToken).toBeUndefined(); // written to the file instead
    const fromFile = readFileSync(tokenFile, "utf8").trim();
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect((await self(generated.url, fromFile)).status).toBe(200);
    expect((await self(generated.url, newAdmin)).status).toBe(401);
    expect(logs.text).not.toContain(fromFile.slice(8));
    await generated.close();
  });

  it("rotates the pepper: old tokens verify, move to the new pepper on use, and survive dropping the old one", async () => {
    const db = await createTestDatabase();
    const v1 = `1:${randomBytes(32).toString("hex")}`;
    const v2 = `2:${randomBytes(32).toString("hex")}`;
    const adminToken = randomBytes(24).toString("hex");
    const srv = await startTestServerWith({ databaseUrl: db.url, pepper: v1, adminToken });
    const [used, unused] = await issue(srv, 2);
    const both = await srv.restart({ pepper: `${v1},${v2}` });
    expect((await self(both.url, (used as IssuedAccessToken).token)).status).toBe(200);
    const fresh = (await issue(both, 1))[0] as IssuedAccessToken;

    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const versions = async (id: string) =>
      (
        await sql.query<{ v: number }>("SELECT pepper_version AS v FROM token_secrets WHERE token_id = $1", [
          id,
        ])
      ).rows.map((r) => r.v);
    expect(await versions((used as IssuedAccessToken).id)).toEqual([2]);
    expect(await versions((unused as IssuedAccessToken).id)).toEqual([1]);
    expect(await versions(fresh.id)).toEqual([2]);
    await sql.end();

    // The admin token was used by the restart's own requests, so it moved too.
    const onlyV2 = await both.restart({ pepper: v2 });
    expect((await self(onlyV2.url, (used as IssuedAccessToken).token)).status).toBe(200);
    expect((await self(onlyV2.url, fresh.token)).status).toBe(200);
    expect((await self(onlyV2.url, (unused as IssuedAccessToken).token)).status).toBe(401);
    await onlyV2.close();
    await db.drop();
  });

  it("refuses to start on PostgreSQL without a pepper, naming the variable", async () => {
    const db = await createTestDatabase();
    await expect(
      startServer({ port: 0, databaseUrl: db.url }, createLogger({ destination: new LogCapture() })),
    ).rejects.toThrow("TOKENPLANE_PEPPER is required with an external PostgreSQL");
    await db.drop();
  });
});
