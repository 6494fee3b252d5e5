import type { BuildOptions } from "esbuild";

/** esbuild options for a one-file ESM bundle that Node 20 runs (the build's bundles share them). */
export const NODE_BUNDLE: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "linked",
  logLevel: "warning",
  // Bundled CommonJS dependencies call require() for Node's modules.
  banner: {
    js: 'import { createRequire as __tpCreateRequire } from "node:module"; const require = __tpCreateRequire(import.meta.url);',
  },
};
