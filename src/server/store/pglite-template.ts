import { PGlite } from "@electric-sql/pglite";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { migrate } from "./migrations.js";
import { type Template, wrapPglite } from "./pglite-database.js";

/**
 * A migrated, empty PGlite data directory dumped at build time, so a first start skips
 * initdb (~4 s here). It holds no secrets: the admin token and the pepper are made on first
 * start.
 */
export const TEMPLATE_FILE = fileURLToPath(new URL("../../pglite-template.tar.gz", import.meta.url));

/** The template as PGlite's `loadDataDir` takes it (for an in-memory database). */
export function readTemplate(file = TEMPLATE_FILE): Blob | undefined {
  return existsSync(file) ? new Blob([readFileSync(file)]) : undefined;
}

/**
 * Unpacks the template into a new data directory, so the first start opens it like any
 * later one. (PGlite's own `loadDataDir` unpacks it through its in-memory file system and
 * left ~110 MB more resident for the life of the process.) PG_VERSION, which marks a data
 * directory as made, is written last: an interrupted unpack is redone on the next start.
 * Returns false when there is no template (a source checkout before `npm run build`).
 */
export async function unpackTemplate(dataDir: string, file = TEMPLATE_FILE): Promise<boolean> {
  if (!existsSync(file)) return false;
  const root = resolve(dataDir);
  const entries = extract();
  createReadStream(file)
    .on("error", (err) => entries.destroy(err))
    .pipe(createGunzip({ chunkSize: 1 << 20 }))
    .on("error", (err) => entries.destroy(err))
    .pipe(entries);
  let version: Buffer | undefined;
  for await (const entry of entries) {
    const target = resolve(root, `.${entry.header.name.startsWith("/") ? "" : "/"}${entry.header.name}`);
    const rel = relative(root, target);
    if (rel.startsWith(".."))
      throw new Error(`the PGlite template has an entry outside its root: ${entry.header.name}`);
    if (entry.header.type === "file" && rel !== "PG_VERSION") {
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      await pipeline(entry, createWriteStream(target, { mode: 0o600 }));
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    if (entry.header.type === "directory") mkdirSync(target, { recursive: true, mode: 0o700 });
    else if (entry.header.type === "file") version = Buffer.concat(chunks);
  }
  if (!version) throw new Error("the PGlite template has no PG_VERSION");
  writeFileSync(join(root, "PG_VERSION"), version, { mode: 0o600 });
  return true;
}

/** The template as openPglite takes it. */
export const TEMPLATE: Template = {
  unpack: (dataDir) => unpackTemplate(dataDir),
  read: () => readTemplate(),
};

export async function buildTemplate(file = TEMPLATE_FILE): Promise<void> {
  const lite = await PGlite.create();
  await migrate(wrapPglite(lite));
  const dump = await lite.dumpDataDir("gzip");
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  await lite.close();
}
