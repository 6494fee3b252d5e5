import { PGlite } from "@electric-sql/pglite";
import { mkdirSync } from "node:fs";
import { lockDataDir } from "./data-dir-lock.js";
import type { Database, Row, Tx } from "./database.js";

/**
 * Embedded PGlite in a directory (or in memory when `dataDir` is undefined). PGlite is
 * one session: queries run one at a time, and NOTIFY reaches only this process, which
 * is all an embedded single replica needs.
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  let unlock = (): void => undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  let lite: PGlite;
  try {
    lite = await PGlite.create(dataDir ? { dataDir } : {});
  } catch (err) {
    unlock();
    throw err;
  }
  const query = async <T extends Row>(text: string, params?: readonly unknown[]): Promise<T[]> =>
    (await lite.query<T>(text, params as unknown[] | undefined)).rows;

  return {
    kind: "pglite",
    query,
    async exec(text) {
      await lite.exec(text);
    },
    async transaction(fn) {
      const committed: (() => void)[] = [];
      const result = await lite.transaction((t) =>
        fn({
          query: async <T extends Row>(text: string, params?: readonly unknown[]) =>
            (await t.query<T>(text, params as unknown[] | undefined)).rows,
          exec: async (text) => {
            await t.exec(text);
          },
          afterCommit: (f) => committed.push(f),
        } satisfies Tx),
      );
      for (const f of committed) f();
      return result;
    },
    async listen(channel, onPayload) {
      const unlisten = await lite.listen(channel, onPayload);
      return unlisten;
    },
    async ping() {
      await lite.query("SELECT 1");
    },
    async close() {
      await lite.close();
      unlock();
    },
  };
}
