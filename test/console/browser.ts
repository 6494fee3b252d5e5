import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { build } from "vite";

/** Debian's chromium; TOKENPLANE_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.TOKENPLANE_CHROMIUM ?? "/usr/bin/chromium";

/** Screenshots of the main screens, kept by CI as artifacts (git-ignored). */
export const SCREENSHOTS = resolve("test-artifacts/console");

/**
 * Headless chromium with nothing running in the background. Playwright starts it with a
 * fresh temporary profile (--user-data-dir) of its own and removes it on close. A missing
 * chromium fails the suite, saying how to install it: these tests are never skipped.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium not found at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\` ` +
        "(Debian/Ubuntu; .ci/run does this) or set TOKENPLANE_CHROMIUM to a Chromium binary",
    );
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

/** The console built from the current sources (not a stale dist/), into a temporary directory. */
export async function buildConsole(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "tokenplane-console-"));
  await build({
    configFile: resolve("src/console/vite.config.ts"),
    logLevel: "error",
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}
