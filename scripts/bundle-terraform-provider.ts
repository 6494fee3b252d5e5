/**
 * Bundles the Terraform provider into one ESM file with esbuild: Terraform starts the plugin
 * about three times per command, and loading one file takes a fraction of the time Node needs
 * to resolve the CLI's module graph. `npm run build` writes dist/terraform/provider.mjs (the
 * proto files sit next to it in dist/terraform/proto); tests bundle into a temporary directory.
 */
import { cpSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { NODE_BUNDLE } from "./node-bundle.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export const BUNDLE_FILE = "provider.mjs";

/** Writes `<outDir>/provider.mjs` and `<outDir>/proto/`; returns the bundle's path. */
export async function bundleTerraformProvider(outDir: string): Promise<string> {
  const outfile = join(outDir, BUNDLE_FILE);
  await build({
    entryPoints: [join(ROOT, "src/terraform/plugin-main.ts")],
    outfile,
    ...NODE_BUNDLE,
    minify: true,
  });
  cpSync(join(ROOT, "src/terraform/proto"), join(outDir, "proto"), { recursive: true });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleTerraformProvider(join(ROOT, "dist/terraform"));
}
