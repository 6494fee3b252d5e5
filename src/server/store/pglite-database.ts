import { PGlite } from "@electric-sql/pglite";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { lockDataDir } from "./data-dir-lock.js";
import type { Database, Row, Tx } from "./database.js";
import { pgliteWasm } from "./pglite-wasm.js";

/** A PGlite instance as a Database. PGlite is one session: queries run one at a time. */
export function wrapPglite(lite: PGlite, onClose: () => void = () => undefined): Database {
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
    // NOTIFY reaches only this process, which is all an embedded single replica needs.
    listen: (channel, onPayload) => lite.listen(channel, onPayload),
    async ping() {
      await lite.query("SELECT 1");
    },
    async close() {
      await lite.close();
      onClose();
    },
  };
}

/**
 * Embedded PGlite in a directory (or in memory when `dataDir` is undefined), locked to this
 * process. A new directory starts from `template` (a dumped, migrated data dir) when given:
 * unpacked into the directory, or loaded into memory; a restart does not read it.
 */
export async function openPglite(dataDir: string | undefined, template?: Template): Promise<Database> {
  let unlock = (): void => undefined;
  let fresh = !dataDir || !existsSync(join(dataDir, "PG_VERSION"));
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    unlock = lockDataDir(dataDir);
  }
  try {
    if (dataDir && fresh && template && (await template.unpack(dataDir))) fresh = false;
    const lite = await PGlite.create({
      pgliteWasmModule: await pgliteWasm(),
      // PostgreSQL's default 128MB of shared buffers costs ~100MB of RSS and buys nothing
      // for a token database of this size: hot reads are served from the token cache, and a
      // page that misses is one read from the OS page cache.
      postgresqlconf: ["shared_buffers = 4MB"],
      ...(dataDir ? { dataDir } : {}),
      ...(fresh ? loadDataDir(template?.read()) : {}),
    });
    return wrapPglite(lite, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}

/** Where a new data directory comes from (see pglite-template.ts). */
export interface Template {
  /** Unpacks it into an empty directory; false when there is none. */
  unpack(dataDir: string): Promise<boolean>;
  /** Reads it for PGlite's loadDataDir (an in-memory database). */
  read(): Blob | undefined;
}

const loadDataDir = (template: Blob | undefined): { loadDataDir?: Blob } =>
  template ? { loadDataDir: template } : {};
