import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The web console: built into dist/console, served by the token server at /console. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  publicDir: false,
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../../dist/console", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // No inline script (the CSP forbids it) and no data: URLs.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
