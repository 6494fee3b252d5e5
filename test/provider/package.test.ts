import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface PackageJson {
  exports: Record<string, { types: string; default: string }>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
}

const pkg = JSON.parse(read("package.json")) as PackageJson;
const CDKTF_PACKAGES = ["cdktf", "constructs", "@cdktf/provider-kubernetes"];

/** Module specifiers a TypeScript file imports (static imports and re-exports). */
function importsOf(source: string): string[] {
  return [...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)].map((m) => m[1]!);
}
const isCdktf = (specifier: string) =>
  CDKTF_PACKAGES.some((p) => specifier === p || specifier.startsWith(`${p}/`)) ||
  specifier.startsWith("@cdktf/");

describe("the tokenplane/cdktf entry", () => {
  it("is exported as the build output of src/provider/index.ts", () => {
    const tsconfig = JSON.parse(read("tsconfig.build.json")) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(tsconfig.compilerOptions).toMatchObject({ rootDir: "src", outDir: "dist" });
    expect(pkg.exports["./cdktf"]).toEqual({
      types: "./dist/provider/index.d.ts",
      default: "./dist/provider/index.js",
    });
    expect(read("src/provider/index.ts")).toContain("TokenplaneTokens");
  });

  it("declares cdktf, constructs and the Kubernetes provider as optional peers, installed for development", () => {
    for (const name of CDKTF_PACKAGES) {
      expect(pkg.peerDependencies[name], name).toBeDefined();
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
      expect(pkg.devDependencies[name], name).toBeDefined();
      expect(pkg.dependencies[name], name).toBeUndefined();
    }
  });

  it("imports cdktf in one module only, so moving to the cdktn fork changes one file", () => {
    const dir = join(ROOT, "src", "provider");
    const importers = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .filter((f) => importsOf(readFileSync(join(dir, f), "utf8")).some(isCdktf));
    expect(importers).toEqual(["cdktf.ts"]);
  });

  it("keeps cdktf out of every other part of the package", () => {
    const files = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && !f.startsWith("provider"))
      .filter((f) => importsOf(read(join("src", f))).some(isCdktf));
    expect(files).toEqual([]);
  });
});
