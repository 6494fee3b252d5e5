import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { TokenServerApi } from "../api/index.js";
import type { DataPlane, Rest } from "./data-plane.js";
import { auditService } from "./domain/audit-service.js";
import { ADMIN_USER, bootstrapAdmin } from "./domain/bootstrap.js";
import { systemCaller } from "./domain/caller.js";
import { registryService } from "./domain/registry-service.js";
import { tokenService } from "./domain/token-service.js";
import { userService } from "./domain/user-service.js";
import { createApp } from "./http/app.js";
import { authenticator, revalidator } from "./http/authenticate.js";
import { DEFAULT_CONSOLE_DIR } from "./http/console-routes.js";
import { registryRoutes } from "./http/routes/registry-routes.js";
import { tokenRoutes } from "./http/routes/token-routes.js";
import { userRoutes } from "./http/routes/user-routes.js";
import { inProcessApi } from "./in-process-api.js";

export interface ManagementPlane extends Rest {
  /** The API in-process, acting as the admin user (audit records name `label`). */
  api(label: string): TokenServerApi;
  /** Only when this start generated the admin token (first start, no TOKENPLANE_ADMIN_TOKEN). */
  generatedAdminToken?: string;
}

/**
 * The management API and the console (Express), with the admin user they need. Loaded only
 * by servers that serve them: a data-plane server never loads Express.
 */
export async function createManagementPlane(plane: DataPlane): Promise<ManagementPlane> {
  const { options, log, store, peppers, resolver, verifier, metrics, now } = plane;
  const bootstrap = await bootstrapAdmin(store, peppers, options.adminToken);
  let generatedAdminToken = bootstrap.generated;
  if (!options.adminToken && !generatedAdminToken) {
    // Restarts never show the generated token again: say once how to get admin access back.
    log.info(
      "admin token: the one generated at first start (not shown again); lost it? restart with TOKENPLANE_ADMIN_TOKEN set to a new secret (tokenplane generate-token): it replaces the stored one",
    );
  }
  if (generatedAdminToken && options.adminTokenFile) {
    mkdirSync(dirname(options.adminTokenFile), { recursive: true });
    writeFileSync(options.adminTokenFile, `${generatedAdminToken}\n`, { mode: 0o600 });
    log.info({ file: options.adminTokenFile }, "generated the admin token and wrote it to the file");
    generatedAdminToken = undefined;
  }
  const tokens = tokenService(store, peppers, now);
  const users = userService(store);
  const adminUser = await store.users.findByName(ADMIN_USER);
  if (!adminUser) throw new Error("the admin user is missing after bootstrap");
  const routes = [
    ...tokenRoutes(tokens, store, options.heartbeatMs ?? 30_000, revalidator(resolver, store, now)),
    ...userRoutes(users),
    ...registryRoutes(registryService(store), auditService(store)),
  ];
  const app = createApp({
    routes,
    authenticate: authenticator(resolver, verifier, store),
    log,
    metrics,
    bodyLimit: plane.bodyLimit,
    trustProxy: plane.trustProxy,
    secrets: options.adminToken ? [options.adminToken] : [],
    consoleDir: options.console === false ? undefined : (options.consoleDir ?? DEFAULT_CONSOLE_DIR),
  });
  return {
    routes,
    handle: (req, res) => {
      app(req, res);
    },
    api: (label) =>
      inProcessApi({ store, tokens, users, verifier, now, caller: systemCaller(adminUser, label) }),
    ...(generatedAdminToken ? { generatedAdminToken } : {}),
  };
}
