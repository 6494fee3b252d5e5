import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "./logger.js";
import { parsePeppers, type Peppers } from "./domain/peppers.js";

/**
 * Where the pepper comes from: configuration (TOKENPLANE_PEPPER) first. The embedded
 * single-replica default keeps a generated pepper in a file next to the database, so a
 * restart keeps tokens valid; a shared PostgreSQL needs it configured on every replica.
 */
export function loadPeppers(
  configured: string | undefined,
  storage: { kind: "postgres" } | { kind: "pglite"; pepperFile?: string },
  log: Logger,
): Peppers {
  if (configured) return parsePeppers(configured);
  if (storage.kind === "postgres") {
    throw new Error("TOKENPLANE_PEPPER is required with an external PostgreSQL: every replica must share it");
  }
  if (!storage.pepperFile) return parsePeppers(`1:${randomBytes(32).toString("base64url")}`);
  if (existsSync(storage.pepperFile)) return parsePeppers(readFileSync(storage.pepperFile, "utf8").trim());
  mkdirSync(dirname(storage.pepperFile), { recursive: true });
  writeFileSync(storage.pepperFile, `1:${randomBytes(32).toString("base64url")}\n`, {
    mode: 0o600,
    flag: "wx",
  });
  chmodSync(storage.pepperFile, 0o600);
  log.warn(
    { file: storage.pepperFile },
    "generated a pepper next to the database; set TOKENPLANE_PEPPER from a secret store in production",
  );
  return parsePeppers(readFileSync(storage.pepperFile, "utf8").trim());
}
