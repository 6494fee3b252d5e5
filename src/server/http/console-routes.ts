import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { problem, sendProblem } from "./problem.js";

/** Where the web console is served. */
export const CONSOLE_PATH = "/console";

/**
 * Where `npm run build` puts the console: `<package>/dist/console`. The same from the compiled
 * server (dist/server/http) and from the sources run by tsx or vitest (src/server/http).
 */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../../dist/console/", import.meta.url));

/**
 * The console runs no inline script or style, talks only to this origin, and may not be framed.
 * `style-src 'self'` still lets scripts set styles through the CSSOM, which is all it needs.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

/** Hashed file names (Vite's `assets/`) never change; the HTML must be fetched fresh. */
const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * The built console's static files, without authentication (every API call the page makes
 * carries the token). Paths without a file extension are the console's own routes and get
 * index.html, so a reload on /console/users works.
 */
export function consoleRoutes(dir: string): Router {
  const router = express.Router();
  const index = join(dir, "index.html");

  router.use((_req: Request, res: Response, next: NextFunction) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      dotfiles: "ignore",
      setHeaders: (res, path) => {
        res.setHeader("cache-control", path.includes("/assets/") ? IMMUTABLE : "no-cache");
      },
    }),
  );
  router.get(/^\/[^.]*$/, (_req: Request, res: Response) => {
    if (!existsSync(index)) {
      sendProblem(
        res,
        problem(503, "Console Not Built", "the web console has not been built; run npm run build"),
      );
      return;
    }
    res.set("cache-control", "no-cache");
    res.sendFile(index);
  });
  return router;
}
