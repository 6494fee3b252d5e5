import { createRequire } from "node:module";

/**
 * Preloaded (`--import`) into a process under test: when it exits, it prints the npm packages
 * it loaded. ESM imports of CommonJS packages (Express, pino-http) land in require's cache too.
 */
const cache = createRequire(import.meta.url).cache;
process.on("exit", () => {
  const names = Object.keys(cache).map((file) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1]);
  const packages = [...new Set(names.filter((n): n is string => n !== undefined))].sort();
  process.stderr.write(`\nloaded packages: ${JSON.stringify(packages)}\n`);
});
