import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Runs `node <args>` with a module resolve hook and returns every URL the process resolved
 * (ESM imports, and the entry of each CommonJS package they reach), with the run itself.
 */
export function runLoggingResolves(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): { urls: string[]; run: SpawnSyncReturns<string> } {
  const work = mkdtempSync(join(tmpdir(), "tokenplane-resolves-"));
  try {
    const log = join(work, "resolved.log");
    const hooks = join(work, "hooks.mjs");
    writeFileSync(
      hooks,
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, resolved.url + "\\n");
  return resolved;
}\n`,
    );
    const register = `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hooks).href)});`;
    const run = spawnSync(
      process.execPath,
      ["--import", `data:text/javascript,${encodeURIComponent(register)}`, ...args],
      { encoding: "utf8", ...options },
    );
    const urls = readFileSync(log, "utf8").split("\n").filter(Boolean);
    return { urls, run };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
