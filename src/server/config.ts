import * as z from "zod";
import { adminTokenProblem } from "./domain/secret-strength.js";

/** Everything the token server can be told. The CLI builds this from flags and environment. */
export interface ServerOptions {
  port?: number;
  host?: string;
  /** Embedded PGlite directory; ignored with `databaseUrl`. Undefined with `memory` means in-memory. */
  dataDir?: string;
  /** Use an in-memory PGlite (tests, demos); nothing survives a restart. */
  memory?: boolean;
  databaseUrl?: string;
  databasePoolSize?: number;
  /** TOKENPLANE_ADMIN_TOKEN: the admin token itself (≥ 32 characters, not plainly predictable). */
  adminToken?: string;
  /** Where to write a generated admin token (mode 0600) instead of printing it. */
  adminTokenFile?: string;
  /** TOKENPLANE_PEPPER: `<version>:<secret>,...` or one secret. */
  pepper?: string;
  logLevel?: string;
  /** Which proxy hops may set X-Forwarded-For (Express `trust proxy`). */
  trustProxy?: string | boolean | number;
  bodyLimitBytes?: number;
  heartbeatMs?: number;
  /** Serve the web console at /console (default true). */
  console?: boolean;
  /** The built console's directory (default: the package's dist/console). */
  consoleDir?: string;
  /** The clock (ms since the epoch); tests move it to cross expiry and refill boundaries. */
  now?: () => number;
}

export { DEFAULT_DATA_DIR, DEFAULT_PORT } from "../core/index.js";

const EnvSchema = z.object({
  TOKENPLANE_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  TOKENPLANE_HOST: z.string().min(1).optional(),
  TOKENPLANE_DATA_DIR: z.string().min(1).optional(),
  TOKENPLANE_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  TOKENPLANE_ADMIN_TOKEN: z
    .string()
    .superRefine((token, ctx) => {
      const problem = adminTokenProblem(token);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
  TOKENPLANE_ADMIN_TOKEN_FILE: z.string().min(1).optional(),
  TOKENPLANE_PEPPER: z.string().min(1).optional(),
  TOKENPLANE_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional(),
  TOKENPLANE_TRUST_PROXY: z.string().min(1).optional(),
  TOKENPLANE_CONSOLE: z.enum(["true", "false"], { error: "must be true or false" }).optional(),
});

/**
 * Options from the environment, with `flags` (from the command line) taking precedence.
 * Throws an error naming the variable that is wrong (never echoing its value).
 */
export function serverOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  flags: Partial<ServerOptions> = {},
): ServerOptions {
  const blankToUndefined = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v === "" ? undefined : v]),
  );
  const parsed = EnvSchema.safeParse(blankToUndefined);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`${String(first?.path[0])}: ${first?.message}`);
  }
  const e = parsed.data;
  const trust = e.TOKENPLANE_TRUST_PROXY;
  const options: ServerOptions = {
    port: e.TOKENPLANE_PORT,
    host: e.TOKENPLANE_HOST,
    dataDir: e.TOKENPLANE_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.TOKENPLANE_DATABASE_POOL_SIZE,
    adminToken: e.TOKENPLANE_ADMIN_TOKEN,
    adminTokenFile: e.TOKENPLANE_ADMIN_TOKEN_FILE,
    pepper: e.TOKENPLANE_PEPPER,
    logLevel: e.TOKENPLANE_LOG_LEVEL,
    console: e.TOKENPLANE_CONSOLE === undefined ? undefined : e.TOKENPLANE_CONSOLE === "true",
    trustProxy: trust === undefined ? undefined : trust === "true" ? true : trust === "false" ? false : trust,
  };
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  }
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
