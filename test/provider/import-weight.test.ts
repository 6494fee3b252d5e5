import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "tokenplane-import-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Every module URL a fresh Node process resolves while importing `entry`, recorded by a
 * module resolve hook (ESM imports, and the entry of each CommonJS package they reach).
 */
function modulesLoadedBy(entry: string): string[] {
  const log = join(work, `${Math.random().toString(36).slice(2)}.log`);
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
    [
      "--import",
      `data:text/javascript,${encodeURIComponent(register)}`,
      "-e",
      `await import(${JSON.stringify(pathToFileURL(entry).href)})`,
      "--input-type=module",
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return readFileSync(log, "utf8").split("\n").filter(Boolean);
}

describe("importing tokenplane/cdktf (dist/provider/index.js)", () => {
  const loaded = modulesLoadedBy(join(ROOT, "dist/provider/index.js"));

  it("loads the CRDs and the constructs", () => {
    expect(loaded.some((url) => url.includes("/dist/crd/"))).toBe(true);
    expect(loaded.some((url) => url.includes("/node_modules/cdktf/"))).toBe(true);
  });

  it.each(["express", "@electric-sql/pglite", "pino", "prom-client", "pg", "@kubernetes/client-node"])(
    "does not load %s",
    (pkg) => {
      expect(loaded.filter((url) => url.includes(`/node_modules/${pkg}/`))).toEqual([]);
    },
  );

  it("does not load the server or the operator", () => {
    expect(loaded.filter((url) => /\/dist\/(server|operator)\//.test(url))).toEqual([]);
  });
});
