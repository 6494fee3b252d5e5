import type { TokenServerApi } from "../api/index.js";
import type { ServerOptions } from "./config.js";
import { type Rest, type ServerHooks, listen, openDataPlane } from "./data-plane.js";
import { assertAdminToken } from "./domain/bootstrap.js";
import { problem, sendProblem } from "./http/problem.js";
import { createLogger, type Logger } from "./logger.js";

export type { ServerOptions } from "./config.js";
export type { ServerHooks } from "./data-plane.js";
export { DEFAULT_DATA_DIR, DEFAULT_PORT, serverOptionsFromEnv } from "./config.js";
export { createLogger, type Logger } from "./logger.js";

/** A data-plane server: verify, forward auth and the operations endpoints. */
export interface DataPlaneServer {
  url: string;
  port: number;
  log: Logger;
  /** Stops accepting requests, ends streams and closes storage. */
  close(): Promise<void>;
}

/** The full server: the data plane, the management API and the console. */
export interface RunningServer extends DataPlaneServer {
  /** The API in-process, acting as the admin user (audit records name `label`). */
  api(label: string): TokenServerApi;
  /** Only when this start generated the admin token (first start, no TOKENPLANE_ADMIN_TOKEN). */
  generatedAdminToken?: string;
}

export async function startServer(
  options: ServerOptions = {},
  logger?: Logger,
  hooks: ServerHooks = {},
): Promise<RunningServer> {
  // Before anything is opened: a predictable admin token is a configuration error.
  assertAdminToken(options.adminToken);
  const log = logger ?? createLogger({ level: options.logLevel });
  const plane = await openDataPlane(options, log);
  // Loaded here, not at the top: a data-plane server never loads Express (see startDataPlane).
  const { createManagementPlane } = await import("./management-plane.js");
  const management = await createManagementPlane(plane);
  const listening = await listen(plane, management, hooks);
  log.info({ port: listening.port, storage: plane.storageKind }, "token server listening");
  return {
    ...listening,
    log,
    api: (label) => management.api(label),
    ...(management.generatedAdminToken ? { generatedAdminToken: management.generatedAdminToken } : {}),
  };
}

/** What a data-plane server answers for the management API and the console. */
const notServedHere: Rest = {
  routes: [],
  handle: (req, res) =>
    sendProblem(
      res,
      problem(
        404,
        "Not Found",
        `no route for ${req.method ?? "?"} on this path: this is a data-plane server (verify, forward auth, probes); the management API and the console are on the full servers; see /openapi.json`,
      ),
    ),
};

/**
 * A server for the data plane only (`tokenplane server --role data-plane`): verify, forward
 * auth and the operations endpoints, on the PostgreSQL the full servers share. It never loads
 * Express: V8 keeps one set of feedback per process, and every management request served in
 * a process slows its hot path (see fast-path.ts).
 */
export async function startDataPlane(
  options: ServerOptions,
  logger?: Logger,
  hooks: ServerHooks = {},
): Promise<DataPlaneServer> {
  if (!options.databaseUrl) {
    throw new Error(
      "a data-plane server needs DATABASE_URL: it serves the tokens the full servers keep in PostgreSQL",
    );
  }
  assertAdminToken(options.adminToken);
  const log = logger ?? createLogger({ level: options.logLevel });
  const plane = await openDataPlane(options, log);
  const listening = await listen(plane, notServedHere, hooks);
  log.info(
    { port: listening.port, storage: plane.storageKind, role: "data-plane" },
    "token server listening",
  );
  return { ...listening, log };
}
