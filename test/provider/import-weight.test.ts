import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runLoggingResolves } from "../support/resolve-log.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Every module URL a fresh Node process resolves while importing `entry`. */
function modulesLoadedBy(entry: string): string[] {
  const { urls, run } = runLoggingResolves(
    ["-e", `await import(${JSON.stringify(pathToFileURL(entry).href)})`, "--input-type=module"],
    { cwd: ROOT },
  );
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return urls;
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
