import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openPglite } from "../../src/server/store/pglite-database.js";
import { TEMPLATE, unpackTemplate } from "../../src/server/store/pglite-template.js";

const root = mkdtempSync(join(tmpdir(), "tokenplane-template-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function tablesIn(dataDir: string): Promise<string[]> {
  const db = await openPglite(dataDir, TEMPLATE);
  try {
    const rows = await db.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    return rows.map((r) => r.name);
  } finally {
    await db.close();
  }
}

describe("the PGlite template", () => {
  it("unpacks into a new data directory that opens migrated, PG_VERSION last", async () => {
    const dir = join(root, "fresh");
    mkdirSync(dir);
    expect(await unpackTemplate(dir)).toBe(true);
    expect(existsSync(join(dir, "PG_VERSION"))).toBe(true);
    expect(await tablesIn(dir)).toEqual(expect.arrayContaining(["tokens", "token_secrets", "users"]));
  });

  it("redoes an unpack that was interrupted (files but no PG_VERSION)", async () => {
    const dir = join(root, "interrupted");
    mkdirSync(join(dir, "base"), { recursive: true });
    writeFileSync(join(dir, "base", "partial"), "half a file");
    writeFileSync(join(dir, "postgresql.conf"), "# cut short");
    expect(await tablesIn(dir)).toEqual(expect.arrayContaining(["tokens", "token_secrets", "users"]));
  });

  it("keeps what a restart finds (no second unpack over data)", async () => {
    const dir = join(root, "kept");
    const first = await openPglite(dir, TEMPLATE);
    await first.exec("CREATE TABLE kept_marker (id int)");
    await first.close();
    expect(await tablesIn(dir)).toContain("kept_marker");
  });

  it("says false when there is no template file", async () => {
    expect(await unpackTemplate(join(root, "none"), join(root, "missing.tar.gz"))).toBe(false);
  });
});
